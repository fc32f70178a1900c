"""The results of Intel's ``vrsqrt14ps`` (AVX-512's reciprocal square root estimate), which
MKL's float32 ``sqrt`` starts from on Intel processors (see :func:`ember._ops._vml.sqrt`).

Measured on an Intel Xeon (family 6, model 167) by running the instruction on every float32 in
[1, 4) (a few lines of C with ``_mm512_rsqrt14_ps``): the estimate of a positive normal ``x``
depends only on its exponent's parity and the top 15 bits of its mantissa (the last 8 bits
never change it), except at an exact power of 4, where it is exact; it scales by ``2**-k``
for ``x * 4**k``.  Each of the 65536 estimates in [1, 4) is a multiple of ``2**-17``, stored
here as its difference (-6..6) from ``round(2**17 / sqrt(c))``, ``c`` the middle of its 256
inputs: four bits apiece, zlib-compressed.  These are the instruction's outputs, read off
the hardware, not anyone's code.
"""
from __future__ import annotations

import base64
import functools
import zlib

import numpy as np

_TABLE = (
    "eNq1XYuBozjSzuW/DG4mg+3OYLozsMnAkAEoAyADcAZ2Z9A9GexsBjsxnOpdJYl+7P0nHhLYIKmq9Cp9Jb59I/fHg7of"
    "T+bO5np1LthP5uZF3bbv+2pBcXd2LpjdG7kXC4L789evXz8tSM4Ff/39+/dfEv4N7i8L0sVvcS74G557L/iXBu0V+uK/"
    "JDqNWQOSzJ+c4p9v0Un2ONMvkRRXIhB7K9GNKciEJRononWm/Ijn7DriDXGJOOY4+IQ8fcTzd+Q0Mfz/svv3v+Ccg//+"
    "9u1f+fj2AMeDCkN+GIQBjjMKw/NJhKE7X3LM+egHkAJKjghCAmFIEyQacpIPyMu+ozBsnM+c9VvON9DAC8P9/pppBQcQ"
    "yxEQKUwHUDcfQOVfdHh25OPvfPym428+SAqAuci+fPxNBzCWg3/9pl/tF/TsGX4bv5jj4Si9MGDaOJmU4p+UActOztoL"
    "5ZIy/aIkuGWKIGWuSKgb0YzIty5bpmTeU96JxtOU9zmTnThAzNCCmtmEDHvO+1PeT89PT3l/RNbmsg48/+P7Hw/fheVw"
    "G35+gv+dn05Zop7xDZnj8DJiOshfPw45rjFHOjDjE7AeeD5D+mbgfE4wJHlft5yJFXJyg1zhCbKZcwk5vjoReAWCvGbi"
    "3IFCmUZvdGL3E6iYCasenTKVgerqZamAE3u/1PtFt37Rrejp//zDb+pRJBAXRZ+9n8RSV9hfKL2Q9rxBToC3L5QvZG7O"
    "7BUyDvm/7lcp9DsSaN1WIBdQDQo9FP2UOZ0mIOxMZCaSD5n8A5a+ru8vPbAGOASsOp2BbU8nYGFmdmZn3n48PjxiPfD9"
    "4Xvm+PdvWBvAvR95Y5Znd8pbfhpLOrwvv/fSXTqIBUt7jnfMfM+pGCfle07hnHJqsaqClK8L5CRnJOdqW4Hz5G55y1m+"
    "5S0T4HY3zmc6ZTIB1TLR3oB44OUA8v7VNw2Z3j8z+TMTgCfs/cy8KbwcyMxDD7nc8PQP5sk7fFjj4ph/urL8+kYp5NML"
    "px1zAhly5fqaT5BxyD+VbS7gSKBMJ6LaSjSEQrRksiJ1J675M+fHAU8jMgNbAOB/15+7izTWp+fz0zNwEtj/lNmLPM6s"
    "xmbgIfM/l/t8+gbtPdx+/PHjkdn/DHt+Aez8ugvIQM8FP5d8iHscMSUiBDmBsIMUpEW6Ajkrm3jrlvMHu0oC0OBKHlDl"
    "RqJwU4lA+pGX90xW9pDU7AnhvePS+PNP8X5G78/gvf1ZeyRjb6HCZhl8QQ9if6O0wJETSKm7vxLDX606u2L1dss5hTzm"
    "3GKOme1U7lc8Mol2ItgqzAdi5gNIi4cKQD6Q98j/jkTgjAfW1CAAwMBnqAJOWAOgEDw8kgSQEHz7/v0PrPmpvc8i8OMR"
    "/vikkpDfAS9iOcgtQI6gu1wuHVY5VB9AKrIwQJqyMAwsDFPKsoCJx7aAawU8r1kSthXyTGfX88kNA8hEplGm153OoZJg"
    "0gKd7y/5nMmd6Q7E53Pmx5ue0UPG4cWbq0n4IpZgq8PdPXmPehoRe5IS9FzXjkt95v6VPcgXZA9ymX2p9anwZ2IgZTJ9"
    "cqNJ1KIaIFMQCQlEnaQRQHID1ZH43BPMx+XSdx1yigQBGm9g4nNu+09cxWcuZ15njj8+fOeG/xFahh/oiPn0Z3jumSsB"
    "eG2uCshRRcARD+i0MSARYIe5SDoyWMlt7LRZkNJwFYekQ2ec11L1Yu7VHDMP3dux+zO7UF2Qi38o/sP/ql/WiOu1cvfK"
    "uVxJNREcSUblltrN5kQwKgdSER31CbN7fJSGn0UEHVX6F2F712Hjf5GeHzjP9HFUloMAgOOk+ZQi4xfhO1xwLr0EXKl4"
    "3LikXKnsILlIKKgLdTdJIMl4ZbHA8CuLyJ2p/+IunNSE8L0Muxep7HFsNoK7KjdNZCnVmAPKDuftKu38rvknngJZFsdc"
    "JR5SUogqnS0gNpd6rHplJH6hkt8xe6Xs58JPpd8Xfyv/Wudr7y8LwinW+tCplGofIuFOAFb+o6/8zeWRwKxNAA0HXKdg"
    "wQqO2wFtDayTaJ1FaRHwdJcznvzAoRpDcBPhgu5UXlMz8vpa/5NOR86SEE7Yyl9v1alwPBxasdFfNzkt0v7zGAoq/kQn"
    "bAGMxtzeYhswckus7QCwCVpr5J2MAE9natBpZCAtwaOy/vlJun6u73fmjgX0AKmrydynPiD1A6fBsz8h77k3KN1BagOs"
    "P4h9wtzvkX4hHua4j6R9xNtV+4ns3dmzLuPVegje40LLHbPQq5TOZXXfbsiT9qrQv9OoLS036+5Rj8/3dCs5oE4xdf02"
    "Igh1l119MEtnEHfqaTtR4J74MHDPXKuEjvY8LqBdHHXu8y51P/Cde/zkK+th77j3b0MAigZihfGgHwckEYB5krGLjgjm"
    "ZOMCHRXgoGdhItgIQaThaoOFnQnIhKTTHXwiOROcWSAcIbawjLx30fzZv8pebtFSGiBBeLrqKfTwd80TZnCR0+bGe6s1"
    "6cxrOCH1Mimp+x9YjmNAGghOxHRsC4hPHZ5g9N7BIL4zxvPY8JnGhl09xCfdTj/yWB8jKkb70AuFRC088Me0Lq61X1EB"
    "gFoMyuiKeUdtAPV411jRI3dZM7DfUDmCSgJWFICq4EaEvyKr8JK4dLXxtSuQX3X+Pe7VtN1k8ymiRMp222XzTN+I8Stv"
    "i2yrbq6UyzbRlnRzVT5vYy+buQtt3Vk2K+4n2Z5oY5VQ3vBvIAMgAKhDMilgOQAl09SzzqkUBJADEAFKM6iqUBASVfeo"
    "yKYWjZVapN3aF1R0kcZLi0do+EkcbqIpBF3ZzQKkPysDV2qBb8eB+7v/AI8Vkru7drGI1k6Vd3dK4HW/Of09d/Q28Uix"
    "J9lmQkhTvy6b7/YRDZGYM+v8iMoiByPxARlCGlgu+NryAwuJlygMl7Nv/59JNfiMjT3X/nDJqt7T+dnkBvsO+R2oRaY+"
    "hRMN6HEMPaUF9lH1wKwBQG0w5gFzgzrrxVSE2A3E3O+kIl6ISLBj52gNcnFlvTF1Cq/EBdIhQxB4BGxCPuGOEwsSJO7f"
    "XJ/9/oXqovqzvEjfdeP+H8Xqk3GzJOK+8y6ZuFUNBe4r7gvvTJ5MqcUPAmfeE+4T74l37SbSDlzKvBqRbSNPEpzPPc7m"
    "4EwBqPYvyuGBphIGfGgaiMnD5Dv6iSYfEkQ70WwEpgTmAHyXf2GVJkxe7DgbtJHHkxrI85VmOVbTiQTm34IHs0fgXYG4"
    "7NF00v+TF1+NkzESp3ouPaFDpxmQXHEeJeNMBtXzOl3PQuTTqR2lsOh9gPrABOAFH8idkXilLQJPzwFXcQ7oQuM40g7T"
    "TN4TFPaLm8q7ONYD73Ph7jGOESOBoh7GeDLVR9N9lGCar4RM4OSfTQnDCTINmQciIEE2nhgEQtGU507ThBjQpqEaGRLN"
    "byFwr65uV7l9cGUvCFcFQ/eQDDxh6vC0aYI3ypDkCvO4SY6XYng/yQnKjhAQT9MyxZ7eRFymU4/MJs70U5ySRz7CZPCZ"
    "TxfrA8C8cK7nzzSPC6O9Z5vgx7+BIOBMsswnX0SONCaaceZUTCQThVRQtUMZATkgWECiOeyJJKKWC6ITSQKTTybAaTqc"
    "AQU0OU5dqoUKG7UQdCHeVrNvv+1fdFvwYgSMapCUcLoU9lBM4W88k7/7HGvlqNP7MsuP9FIi2py/1Oc9ez17hgSYrOxz"
    "3S7AAMEHiETwRH5u9qXMd1bxT4MHd/Q9cxvDvoFnJ+nlHCQNLVQp1I65vRipBCiyOszIyr8TqR2SxINK1sVVvFs7vB+F"
    "F19r+xct7sIlYveAlqVMaszOIgVfnQfITJFIip/xrB481z3YxnXClFUMBFGYTueROy589sCeCPA5X/qmYykrXWgLgnNZ"
    "LN28vOfe/3Xx8uBYtbRF7NAdPfLOM+vydfelnL9DsvfdUHH7Q/f81AZ4HYpCEwRWikgrXQciEkiRSrmpWb6+z631HSau"
    "HwnOAau3z/299fK1kZY65Y08VflPJVlKKqYG0cey0jgsxYHhJkImUCoErm3o7a01n4c2x2MVt3gZSC5/aWrVBJtnYV3N"
    "Fixbm83Haiwyrqw+tFSVvf0xhJYiZBEuMbQY243b1vBtNduVEkqeSDJHx6VR3kaPDNQegbXlyvaLthAwPmA90UVbj44Z"
    "38XCPnr2j/ReH3GsAzilmoWk/QTfEUxz3RMUhoeuk3GB6a6U3r3X6Biun+zt3aK2ub74Uq9x9f0Ln6zVp9vnaNXuomR5"
    "dcTwtUVypKMikxxtPdWnOJAQHkldMIpwEL8vkdXjJP2Lkfv7xGk8UZd/jJ3BOUmssyZmlr6/nSjldkpFrbfqabfTqqe9"
    "OK2N0/7F0/aZ09o4LfUwT8d6WyzmS8h1MppMzEAeQFPRaQ0EtU/oBoN8Grhg2qjQawRpeNideUigQ0Qc710c0/EYiPcj"
    "D/t7iUEi9j3T5PiPqgBVB5AQzJQ/yt5ikOBJ8U1MirnR+9uEfmtx7MWBGoXy2EXL8N6xHjzsjg8dazvKY5Jj0iO5Y7LD"
    "u9GOgQ/hAGtjBtbMMI8HLrmswmGVj6h9Our8CyhMJ4FIHwCA7jP/nx+tqnxVAvasY5pYH4gKqOC1+3qTKrCCpjB6pvGa"
    "Sy1i9GR2TL3Ih4MxRGrdmBs3UvmqFEKaFhfSRPvQvITsUv5JhzeXZXrwaj0mJZS+UXR7yoFBsd2hJ4cTfsI+0PUB33tU"
    "3AP3GQxi/D8h50H5B/o/0v3KXrBfd0iL3yfdxwj88Ixf6j1NTL72flzKtoN9P9y98rzY92JvPbS3nqiiKV7tEkZ11Rrb"
    "7iiKUXtP+Z94T7Iz6VSpP6sUlQ2DafknmpYZxkrhP/a+cehgIt/P3hQoHp51SsxMhvfTFANNOLC/6ATPLGgf85eqgd/M"
    "34O/LkL24O+Vv5m/Vz6xL/jtH92Ti/p8oXEv6ttcFRs2qL8udb9eADzLIkCehYnFszV8IuYuSmbicYosFmytTLcRc/nU"
    "T2SKwWBcPyl8ESwQGW7QiWb0GBqEJ77Xywww/5OfDjN+bPVBk8IY5lRwCkfxwkQgY8KmSbMrnlBCvSRWDyZAqZIdNS1R"
    "CxPmw05hZpl4POtKc7AbC4LKg8pI9GDeNnqr85YDb2t7S+WFFGoWxNOsrks1AnAEYk9njYvJY09rN4vsROtM7O/D/H9H"
    "UIKumO9F6w/GBCgqAIKjwAMmhgdYmyaxKVaAggvDBmYGO2BwFgzBwmCSJHPi5fBApECIxRPpfLEy3EABB0Lojfkh+AO7"
    "EDhCdXH028d/lSiKGBn+wEnbXEol4S5Ti0JEtnIokayzIoCL5MkoVBXboYXJzwwwOKnbyhbcbanYFtk0rmprVv31tnBm"
    "D7b1/W1Zl/2/2rb/cvvIpY82JOd0vLWdsKz321BtheuK7SygITdWFDOvXiFG/OqRN46NRYYASb68hyniZJLEiCbJ72L4"
    "McSQwSWKlADKksqYCpRizNK7MwZbqCval1ywtqPL1m+Nqng9HG7M0vZrwkOmBOpFGZb8M3UY/iWCkQxz52hajCGQH8QN"
    "CuIFQgPRZG8UARl5CDGwgtAzzmG7JDJOwOwDgvubhFsa4JzF4VhrvLaKnWB1vSEYct0a185b69u72BzW//7w1xjhgfde"
    "KS8HpgTiXDx1Gh7zmSmLnowQ56AVGJzHLKaiKPBPQYGOUnaju7B1UE+lHtCe6H1/+IOsv9AcAI0BfpglAJl/ncT899wB"
    "pNwBwcgAACDoDv5F/TwEflsXjrpnG0K+Ae6/eZNQAXUhTp4Q/gSxUlA/ofkRr41YfcTrv7AR3isZd7GVcDDH+dMsAslU"
    "l4z+yM6PD7EEjDftn3Z4K189XvV4keP19a4HW4q83CVHAC++ysHGgIoKXwkQbtaADAxeGT09syUAEjmxKgGpjxaBaBNq"
    "2O+Ltwg8M6wfDQJxDhCw/98fdOWHxx8PZCnq7UCfnCEAqgu7XuHgigMXCDjuSfHpsyLW0+IMQhXwXuL9Zb8qiD4YdBgi"
    "n4Owiz0oGmS+uWDT8ktsQjlIVxL8+VGweoOXBrYNZSPgV7YCJkNgtgW21Ac0ocOuG4Q8QAJXRFAzXlyMKARPzwhxqT3I"
    "QHQSC2GqEJyRMIDCDQp2enzKTJci/0y4cLT+Zq53AP8nhLjUIb30Daj2keZ/lJY+KSh8KkHhAghfBBC+CkLaYF2MpL6L"
    "mXjAfytM+xbtMNDC/hU3ukDDa9re+BKZgMbldOs13Ar/cY/5N70Wi3coRtxg44YRvykk3FDiDiP4ASRcugWxd2go8KLP"
    "5/Hfl4j/BsC/bDbvj0b/P2hRAFrwgaTgRMs+EBT4JDZknRsgdkEfwENAWQRilBE/D/AME+7w4Dw+l9Ewja8DMkeWh2Co"
    "9VU8w2tH2K5Z/NCKC+Tp6gu4nMSLW1UCwm8SfpWw3vLh8rH4OontNRicRQPwYCBGOPUbo8dlLYyWXdhmyoG1nABUBZIp"
    "jhQbPkWdUO8m8VHZS6BwPxcgxt2E9Sakt58XGgenUSQtoWohSTnJCvsU+3gNpSqhutc9tP633VDRBLU17DTt93rXkvgi"
    "5fG13l/K/f4W9/Ab7fyD7BZLafJF6WC0N6WUMd4E7ObsGL5b54YJ270yHHgjOm1FfzLNqgSebZEXXeeF5gcGmRiwbp4s"
    "+sKY3y4u/3LGpXxOtKrPAxR4+IHmg07cU4AneabQZpdsnZ+e0eBhzmee3OSWQoB1bi9M3a26HtBC8+Lr5oB5q0f4CmT3"
    "fuWDVw2iA8huSwjBcZU+1i58uumiKw66/8HFzb9try72O8fOAZcuAxnfKgwxQYUZCrD6aWWhDJIoGTJYJ4VpQl1Vd4Of"
    "ANa5Xy8EEQvsp37OuI7TE0oCrPRyZgzYyaCCDgl8MbXAOBigxHAfQ0AkMdqDYSstuK8Hd3iwrEf2bhU4U0rQnZcRw1vk"
    "0dpZN/Lu3ruRdzdvF+/2jhdfIh5HsEfvxgt33ZvQYUEJLw5atHpAUIECYzgMg2aNlm6eWEE+ivFRhM8gsJ6LALguCgzs"
    "BPt5UgioIkFPCgg8mb1YgfjrCuyfQclGw5qNEeFXofoiwm/zqDgPkzsC6O5U9lQiuC4OV3dlj6ut91tp6Rfda2nh/fby"
    "0T8arozlvpcJKZN+LyFI9wpNVMELa8XD3AYNRjONBmS0BAH2/8iNy//Cbfv/wr3HvH/mWvjRf4Qe/iRA9j1GljjwGvZ7"
    "dPNSgLprgPcQEb4+UT6Vc0MFW6HivSB7Sh7y/H5t1wCu9FOJClWBD18d/xvh6mH3UhfbtZkiz+Vtb4FMA0jVg0G98jgp"
    "8ZT/ivVcCvzeZOBLEQFnB6BY3U5Yaz18MwFQIHjAfAvqt5P6IOLAR7VCMJCpN0mZAjpVwYgV6nMKuvs1oD531zYEo5qP"
    "LIA+Bnq2sJ2++b41/vA5oOfqgZ7vYTv3Q2zn7LpKjlpJ0bMM51wq5BABMh2oMzbQIhEO22t474vaBF3IaIxsAZHtRYsw"
    "BUyookEj9Dd5u0CGMy6TwODMPNDM30w/tEUrQT1F9KXaCW6C3txqczy10NuCvV64MoO+Lfy2hZ76FswRw5UFOFGrYFLV"
    "wHF1AMXGTNG0OENJgcpWPf7FT/aokkWwmYPwQ1gkXcGOOa+wT+FxWf0/u+qhI2lg7CA93F1sYpARhwoHFAvUYSzMlQz4"
    "xwfnzWEjjfcpNhtiGUtGsjg6FtNZNhje3bhxYWtbF9zDwmpt+7+r3YlGvLemWW/T0LccsMb13Mzbgnkz2QN7I+jFTILF"
    "MrglKxEKGVCUqYErDHoCthEePJYQRIVWBzIrcAMDdnE6mMGHU18gABV3ZjVAErtwh/mbDNnGWqLk0ZbzO2C/AmK31/t6"
    "sO+f2Zf/dl8P9qUJFwz7EQzQTPlbwL858nhkNJgD/Cnmz+z8TTWAZv60Y43Q8dxeL6v7dvViD7LQo7yYl/1lSJpb+WEo"
    "ln8QRBuvAeEAcJLj1hz+phPwEXNn6LyABIxIP1Kg4sXqtal2sYeL3f8taGBbPxevkpgkOpcghRh6KGHIxurwg1vVQCS3"
    "BFhU+DqtbwsryF1FBxAcJ4faG8t2XRX4Y0DweSt/XoMkiWcAs6TgswZaz/FStP4FRs/j8hwWL0LteJUY9fziKnvlHViA"
    "H/y61ib+riuw2votu0vOEtZzEVBhierTZZxXb8gQ1vgL+D0H3ZsZr+VQe6kBABpE3S9LwUyyXk/REbBFYS6C9aM5nTMj"
    "QexhwvONssh0hPI54EkyHJ/iwxhoxpM+DiY2RVDY3MbtqJWcAataIDE3UxYAXOvmbzd/WCvIVwFFW1rIrrXCcCcPxSyx"
    "cB7XZQi8VKzn1IR3eTBeQHaNfWvFJz/tJ0uA23bRDTp5bju5DWf1Ol79ix68RFBYbAR4E0jRaGkU0NE4OLlp4Qo9MszT"
    "IUV82GzLYNlEqMINFTYmy2XNX7rV+k+JSCsTMM22LJck0YEpD7F6o63cNRXQLJ5Br+BZAaLlGe1xex2jeGCNN5qlv4ix"
    "h+l7TrTgG2xPtOzbMy3wTivDP114jh/XiNOpfoYH8TJyhWkgz/5zUh32SAFJg0AQakhgxDcV2CemeQMspVCq0mvbAn3k"
    "vojuWt77QwP6VSbNJ7pEf+nqfnMM64J/cy1ODgXGUDChewkEK42FZBHHjhBCHWN4en6AHyVQGb+V3i99u6HULFMyOcG0"
    "UD2fZO3HWRczJAowSZbkjEAD/9ZCH8BrIwr0RZaOpPUj7RTuMFZm/8zPW/1zvHDRakJ0xcatAQSVPMmql7Mu4umIIeQR"
    "WgnhhJQVylNK00AMGfVLAMY0+SgArQFq0B+FhPHikFjQsZD3UUJ0CVGWpgrexdAiv+SnLvoar3Sfw5ViwmqQmEpIDRyr"
    "b9jiqMtnTP4+uD2no9vxiwbl7bDH/JUZLfcjZPfQ3Me+vR/NATikntvPuhQs7/JDbOZ9BHF12UIUjl3Iach5WMa2YH6D"
    "4hX5Ky5GQLZfSXUJ6+hu/sct/vOTF8ftwFxIapAULzMupPlP+vUMJx1BTorlfoOsuBLZx5WA+7Ag8BiBIlQlgBjQCsG4"
    "UDCtFywAz0u1AMSgKz+zcLBMcMScoHFo2wMQZJXRqyIXIgicf0ckJp5Ihq0gPHuYfZSDrRVcGUm7VUH6MEkRtD9th39q"
    "/lK82C6luSgvPxappHXc7DDA8mUQptekB4tQpLHIU7WUQK7i+eshxSIAvX5dhDjNB315ZJAFvwfWFAxTpf5Nesx2WHJm"
    "Oyz1sx6aO2Z8Yi2IHLpiQHILCVTLCHytT5haZTnVbXoRGd+wZIW0JlnB3eVqktXck+afWMYEUUoJlt6G3NFe3KivLKH1"
    "2Lk84tL8xDjlqF/L5ULf7hAIPz+FgdHMOYfmemRB+cTJFc7KKUmu45VQReiUop7LkX8OVqCfQg44E9HW/fWwtG1tW553"
    "FHIhfe/9KLkOxNFTpck71OmNk+eKMMqdhlF4robAQ1geOBoFg4UAPyPv0NepFe9QLOzrP/FgRr2YFfnsD334QYKSdaXC"
    "ot8F4uDCwUWCynMVBicEc1k0569Ix6fWnyteHVNTJJJSzeckZ8udzz8RJDGxjGRsl6trPKepvfIL8YTPg5xHYz2d+1HN"
    "wIdaX8R2QB19Kog+30RPDKN7CV/w2zFWjbw5uA8je8qfZpPlIVywt8xCJfaIttE7MLB61/bqK4LxSXOuT3t1DlgeJKsV"
    "GcRzZBOv0pmUMCDmi3iOZ46RwmP0ZPpv6Luu0c0bBufjU4N88gdeii+HAMZJH6RxmolqGhhTzh+xmSljaeb8CjHwRuIb"
    "+L0rDtAHsDhgX8QKCvQDXfLmA9WNRT66s7YCx7+8G1iOYnov0JwUKAOeEJ5ESrRZvhZk9JxYovjLYcqM2LaM9EUhp6rU"
    "2ocewCf4y07TpB95mjSKNGu0FEyaKEreQl8CS5qLRb4QVQSbvfsquHymz/8J2+yGzW4Rx0EqfOKTfOnK5dSCRAqiig8T"
    "sdwns4Sw/KWnuWoCRinryjEufVTouWiO9Fku+kQXltyeynCtCOyp8Bflv5dvStkbqPJwb6fSj1/9Kr8BNlWfgeNLliL3"
    "ibAk34jjyyTfMluSfEJMviAnXxTTT4qldNS0i5H3ph8d4+tNP0LG15t9lIyumzdWvrF9/sbxSzVaTYcmTFPqvgS2HvZb"
    "nF5MQDRCEvvonn2GzVHVyIxlV2RiFIkRjqsUjZ7V9pk/vtkaG9i3yvx36SR6921ArT8kZe5rdpKDFDJmn5RzP1TfmktR"
    "POb5EyrAr7pCI5XKj/KFH4uUltmo8hgZlmJxaRHVKgr7bZqayzJENpYlv+Ucx8coEu0l3+ZjpWDtoqgcuUCqljv8KGL5"
    "lrIgfeZ177608fr0BXdIxMp9YVXo8dPuP/zvzmE=")


@functools.lru_cache(maxsize=None)
def scaled_estimates() -> np.ndarray:
    """The 65536 estimates for [1, 4) times ``2**17`` (int64), indexed by the exponent's parity
    (``1 << 15`` for [2, 4)) and the mantissa's top 15 bits."""
    packed = np.frombuffer(zlib.decompress(base64.b64decode("".join(_TABLE))), np.uint8)
    codes = np.empty(packed.size * 2, np.int64)
    codes[0::2] = packed & 15
    codes[1::2] = packed >> 4
    start = np.arange(np.float32(1).view(np.uint32), np.float32(4).view(np.uint32), 256,
                      dtype=np.uint32)
    lo = start.view(np.float32).astype(np.float64)
    hi = (start + 255).view(np.float32).astype(np.float64)
    return np.round(2.0 ** 17 / np.sqrt((lo + hi) / 2)).astype(np.int64) + codes - 8


def rsqrt14(x: np.ndarray) -> np.ndarray:
    """``vrsqrt14ps`` of positive normal float32 values ``x`` (float32)."""
    b = x.view(np.uint32)
    e = (b >> np.uint32(23)).astype(np.int64) - 127
    k = e >> 1  # x = m * 4**k, m in [1, 4)
    key = ((e & 1) << 15) | ((b >> np.uint32(8)) & np.uint32(0x7FFF)).astype(np.int64)
    est = scaled_estimates()[key]
    est = np.where((b & np.uint32(0x7FFFFF) == 0) & (e & 1 == 0), 1 << 17, est)
    return np.ldexp(est.astype(np.float64), -17 - k).astype(np.float32)


@functools.lru_cache(maxsize=None)
def estimate_bits() -> np.ndarray:
    """:func:`scaled_estimates` as the float32 bits (uint32) of the estimates themselves."""
    return np.ldexp(scaled_estimates().astype(np.float64), -17).astype(np.float32).view(np.uint32)
