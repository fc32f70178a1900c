"""Differential probes of PyTorch's text and sequence tutorials (names classification and
generation with character RNNs, seq2seq with attention, word embeddings, the LSTM tagger, the
Bi-LSTM CRF, the Transformer language model, EmbeddingBag text classification), reduced to a
few steps and run by both libraries from the same seed; and the legacy constructors those
tutorials use (``torch.FloatTensor(2, 3)``)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember
from ember._ops import _mkl_gemm

torch = pytest.importorskip("torch")

exact = _mkl_gemm.emulated()  # PyTorch's (MKL's, oneDNN's) orders are mapped on one processor


def _same(a, b):
    """The two runs' records: bit for bit where ember reproduces PyTorch's orders, else to
    float32 rounding."""
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if isinstance(x, (str, int, list)):
            assert x == y
            continue
        x, y = np.atleast_1d(x), np.atleast_1d(y)
        assert x.shape == y.shape and x.dtype == y.dtype
        if exact:
            assert np.array_equal(x.view(np.uint8), y.view(np.uint8)), (x, y)
        else:
            np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-5)


def _rec(t):
    return t.detach().numpy().copy()


# -- legacy constructors ---------------------------------------------------------------------

LEGACY = {
    "list_then_int": lambda C: C([1, 2], 3),
    "two_lists": lambda C: C([1], [2]),
    "bool_first": lambda C: C(True, 3),
    "float_first": lambda C: C(2.0, 3),
    "float_tensor_first": lambda T, C: C(T.tensor(2.), 3),
    "float_later": lambda C: C(2, 3.5),
    "list_later": lambda C: C(2, [3]),
    "str_later": lambda C: C(1, 2, "a"),
    "bool_later": lambda C: C(2, True),
    "int_tensor_first": lambda T, C: C(T.tensor(2), 3),
    "negative": lambda C: C(2, -3),
    "with_device": lambda C: C([1, 2], 3, device="cpu"),
}


@pytest.mark.parametrize("name", sorted(LEGACY))
@pytest.mark.parametrize("cls", ["Tensor", "FloatTensor", "LongTensor"])
def test_legacy_constructor_of_several_arguments(name, cls):
    def run(T):
        f = LEGACY[name]
        try:
            args = (T, getattr(T, cls)) if f.__code__.co_argcount == 2 else (getattr(T, cls),)
            r = f(*args)
            return tuple(r.shape), str(r.dtype)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
    assert run(ember) == run(torch)


# -- the tutorials, reduced ------------------------------------------------------------------

def _names_classifier(T):
    nn = T.nn
    T.manual_seed(0)
    letters = "abcdefghijklmnopqrstuvwxyz"
    data = [("smith", 0), ("dubois", 1), ("muller", 2), ("sato", 3), ("brown", 0),
            ("moreau", 1), ("weber", 2), ("tanaka", 3)]

    def line(s):
        x = T.zeros(len(s), 1, len(letters))
        for i, c in enumerate(s):
            x[i][0][letters.find(c)] = 1
        return x

    class CharRNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.RNN(len(letters), 32)
            self.h2o = nn.Linear(32, 4)
            self.softmax = nn.LogSoftmax(dim=1)

        def forward(self, x):
            _, hidden = self.rnn(x)
            return self.softmax(self.h2o(hidden[0]))

    rnn = CharRNN()
    opt = T.optim.SGD(rnn.parameters(), lr=0.15)
    crit = nn.NLLLoss()
    out = []
    for _ in range(2):
        for batch in (data[:4], data[4:]):
            loss = 0
            for name, label in batch:
                loss = loss + crit(rnn(line(name)), T.tensor([label]))
            loss.backward()
            out.append(_rec(nn.utils.clip_grad_norm_(rnn.parameters(), 3)))
            opt.step()
            opt.zero_grad()
            out.append(_rec(loss))
    with T.no_grad():
        o = rnn(line("sato"))
        out += [_rec(o), o.topk(1)[1].item()]
    return out


def _names_generator(T):
    nn = T.nn
    T.manual_seed(1)
    n_letters, n_cat = 8, 2

    class RNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.i2h = nn.Linear(n_cat + n_letters + 16, 16)
            self.i2o = nn.Linear(n_cat + n_letters + 16, n_letters)
            self.o2o = nn.Linear(16 + n_letters, n_letters)
            self.dropout = nn.Dropout(0.1)
            self.softmax = nn.LogSoftmax(dim=1)

        def forward(self, category, x, hidden):
            combined = T.cat((category, x, hidden), 1)
            hidden = self.i2h(combined)
            output = self.o2o(T.cat((hidden, self.i2o(combined)), 1))
            return self.softmax(self.dropout(output)), hidden

    rnn = RNN()
    crit = nn.NLLLoss()
    out = []
    for step in range(4):
        cat = T.zeros(1, n_cat)
        cat[0][step % 2] = 1
        seq = T.randint(0, n_letters, (5,))
        inp = T.nn.functional.one_hot(seq, n_letters).float().unsqueeze(1)
        target = T.cat([seq[1:], T.tensor([n_letters - 1])]).unsqueeze(-1)
        hidden = T.zeros(1, 16)
        rnn.zero_grad()
        loss = T.Tensor([0])
        for i in range(inp.size(0)):
            output, hidden = rnn(cat, inp[i], hidden)
            loss += crit(output, target[i])
        loss.backward()
        for p in rnn.parameters():
            p.data.add_(p.grad.data, alpha=-0.05)
        out.append(_rec(loss))
    with T.no_grad():
        output, _ = rnn(cat, inp[0], T.zeros(1, 16))
        out += [_rec(output), T.multinomial(output.exp(), 3).tolist()]
    return out


def _seq2seq_attention(T):
    nn, F = T.nn, T.nn.functional
    T.manual_seed(0)
    V_in, V_out, H, L = 9, 8, 16, 4

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(V_in, H)
            self.gru = nn.GRU(H, H, batch_first=True)
            self.dropout = nn.Dropout(0.1)

        def forward(self, x):
            return self.gru(self.dropout(self.embedding(x)))

    class Bahdanau(nn.Module):
        def __init__(self):
            super().__init__()
            self.Wa, self.Ua, self.Va = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, 1)

        def forward(self, query, keys):
            scores = self.Va(T.tanh(self.Wa(query) + self.Ua(keys))).squeeze(2).unsqueeze(1)
            weights = F.softmax(scores, dim=-1)
            return T.bmm(weights, keys), weights

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(V_out, H)
            self.attention = Bahdanau()
            self.gru = nn.GRU(2 * H, H, batch_first=True)
            self.out = nn.Linear(H, V_out)
            self.dropout = nn.Dropout(0.1)

        def forward(self, enc_out, hidden, target):
            x = T.zeros(enc_out.size(0), 1, dtype=T.long)
            outs, attns = [], []
            for i in range(L):
                emb = self.dropout(self.embedding(x))
                ctx, w = self.attention(hidden.permute(1, 0, 2), enc_out)
                o, hidden = self.gru(T.cat((emb, ctx), dim=2), hidden)
                outs.append(self.out(o))
                attns.append(w)
                if target is not None:
                    x = target[:, i].unsqueeze(1)
                else:
                    x = outs[-1].topk(1)[1].squeeze(-1).detach()
            return F.log_softmax(T.cat(outs, 1), dim=-1), T.cat(attns, 1)

    enc, dec = Encoder(), Decoder()
    eo, do = T.optim.Adam(enc.parameters(), lr=0.01), T.optim.Adam(dec.parameters(), lr=0.01)
    src = T.randint(2, V_in, (4, L))
    tgt = T.randint(2, V_out, (4, L))
    crit = nn.NLLLoss()
    out = []
    for _ in range(2):
        eo.zero_grad()
        do.zero_grad()
        enc_out, enc_h = enc(src)
        logp, _ = dec(enc_out, enc_h, tgt)
        loss = crit(logp.view(-1, V_out), tgt.view(-1))
        loss.backward()
        eo.step()
        do.step()
        out.append(_rec(loss))
    enc.eval()
    dec.eval()
    with T.no_grad():
        enc_out, enc_h = enc(src[:1])
        logp, attn = dec(enc_out, enc_h, None)
        out += [_rec(attn), logp.topk(1)[1].squeeze().tolist()]
    return out


def _word_embeddings(T):
    nn, F = T.nn, T.nn.functional
    T.manual_seed(1)
    words = ("when forty winters shall besiege thy brow and dig deep trenches in thy beauty "
             "field thy youth proud livery so gazed on now").split()
    ix = {w: i for i, w in enumerate(sorted(set(words)))}
    ngrams = [([words[i - 1], words[i - 2]], words[i]) for i in range(2, len(words))]

    class NGram(nn.Module):
        def __init__(self):
            super().__init__()
            self.embeddings = nn.Embedding(len(ix), 10)
            self.linear1 = nn.Linear(20, 32)
            self.linear2 = nn.Linear(32, len(ix))

        def forward(self, x):
            out = F.relu(self.linear1(self.embeddings(x).view((1, -1))))
            return F.log_softmax(self.linear2(out), dim=1)

    model = NGram()
    opt = T.optim.SGD(model.parameters(), lr=0.01)
    crit = nn.NLLLoss()
    out = []
    for _ in range(2):
        total = 0
        for context, target in ngrams:
            model.zero_grad()
            loss = crit(model(T.tensor([ix[w] for w in context])), T.tensor([ix[target]]))
            loss.backward()
            opt.step()
            total += loss.item()
        out.append(np.float64(total))
    cbow = nn.EmbeddingBag(len(ix), 8, mode="sum")
    lin = nn.Linear(8, len(ix))
    opt = T.optim.Adam(list(cbow.parameters()) + list(lin.parameters()), lr=0.01)
    for context, target in ngrams[:6]:
        opt.zero_grad()
        lp = F.log_softmax(lin(cbow(T.tensor([[ix[w] for w in context]]))), dim=-1)
        loss = F.nll_loss(lp, T.tensor([ix[target]]))
        loss.backward()
        opt.step()
        out.append(_rec(loss))
    out.append(_rec(F.cosine_similarity(cbow.weight[0:1], cbow.weight[1:4])))
    return out


def _lstm_tagger(T):
    nn, F = T.nn, T.nn.functional
    T.manual_seed(1)
    data = [([0, 1, 2, 0, 3], [0, 1, 2, 0, 1]), ([4, 5, 6, 7], [1, 2, 0, 1])]

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.word_embeddings = nn.Embedding(8, 6)
            self.lstm = nn.LSTM(6, 6, num_layers=2, bidirectional=True, dropout=0.2)
            self.hidden2tag = nn.Linear(12, 3)

        def forward(self, s):
            o, _ = self.lstm(self.word_embeddings(s).view(len(s), 1, -1))
            return F.log_softmax(self.hidden2tag(o.view(len(s), -1)), dim=1)

    model = Tagger()
    opt = T.optim.SGD(model.parameters(), lr=0.1)
    crit = nn.NLLLoss()
    out = []
    for _ in range(2):
        for s, tags in data:
            model.zero_grad()
            loss = crit(model(T.tensor(s)), T.tensor(tags))
            loss.backward()
            opt.step()
            out.append(_rec(loss))
    model.eval()
    with T.no_grad():
        scores = model(T.tensor(data[0][0]))
    return out + [_rec(scores), scores.argmax(1).tolist()]


def _bilstm_crf(T):
    nn = T.nn
    T.manual_seed(1)
    START, STOP, K = 3, 4, 5

    def log_sum_exp(vec):
        m = vec[0, T.max(vec, 1)[1].item()]
        return m + T.log(T.sum(T.exp(vec - m.view(1, -1).expand(1, vec.size()[1]))))

    class CRF(nn.Module):
        def __init__(self):
            super().__init__()
            self.word_embeds = nn.Embedding(10, 5)
            self.lstm = nn.LSTM(5, 2, bidirectional=True)
            self.hidden2tag = nn.Linear(4, K)
            self.transitions = nn.Parameter(T.randn(K, K))
            self.transitions.data[START, :] = -10000
            self.transitions.data[:, STOP] = -10000

        def feats(self, s):
            h = (T.randn(2, 1, 2), T.randn(2, 1, 2))
            o, _ = self.lstm(self.word_embeds(s).view(len(s), 1, -1), h)
            return self.hidden2tag(o.view(len(s), 4))

        def nll(self, s, tags):
            feats = self.feats(s)
            fv = T.full((1, K), -10000.)
            fv[0][START] = 0.
            for feat in feats:
                fv = T.cat([log_sum_exp(fv + self.transitions[n].view(1, -1)
                                        + feat[n].view(1, -1).expand(1, K)).view(1)
                            for n in range(K)]).view(1, -1)
            alpha = log_sum_exp(fv + self.transitions[STOP])
            score = T.zeros(1)
            tags = T.cat([T.tensor([START], dtype=T.long), tags])
            for i, feat in enumerate(feats):
                score = score + self.transitions[tags[i + 1], tags[i]] + feat[tags[i + 1]]
            return alpha - (score + self.transitions[STOP, tags[-1]])

    model = CRF()
    opt = T.optim.SGD(model.parameters(), lr=0.01, weight_decay=1e-4)
    s, tags = T.tensor([0, 1, 2, 3]), T.tensor([0, 1, 2, 0])
    out = []
    for _ in range(2):
        model.zero_grad()
        loss = model.nll(s, tags)
        loss.backward()
        opt.step()
        out.append(_rec(loss))
    return out + [_rec(model.transitions)]


def _transformer_lm(T):
    nn = T.nn
    T.manual_seed(0)
    ntokens, d, bptt = 20, 16, 5

    class PositionalEncoding(nn.Module):
        def __init__(self):
            super().__init__()
            self.dropout = nn.Dropout(p=0.1)
            position = T.arange(50).unsqueeze(1)
            div_term = T.exp(T.arange(0, d, 2) * (-math.log(10000.0) / d))
            pe = T.zeros(50, 1, d)
            pe[:, 0, 0::2] = T.sin(position * div_term)
            pe[:, 0, 1::2] = T.cos(position * div_term)
            self.register_buffer("pe", pe)

        def forward(self, x):
            return self.dropout(x + self.pe[:x.size(0)])

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.pos_encoder = PositionalEncoding()
            layer = nn.TransformerEncoderLayer(d, 2, 32, 0.2)
            self.transformer_encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.embedding = nn.Embedding(ntokens, d)
            self.linear = nn.Linear(d, ntokens)
            self.embedding.weight.data.uniform_(-0.1, 0.1)
            self.linear.bias.data.zero_()
            self.linear.weight.data.uniform_(-0.1, 0.1)

        def forward(self, src):
            mask = nn.Transformer.generate_square_subsequent_mask(len(src))
            src = self.pos_encoder(self.embedding(src) * math.sqrt(d))
            return self.linear(self.transformer_encoder(src, mask))

    model = LM()
    data = T.randint(0, ntokens, (11, 3))
    crit = nn.CrossEntropyLoss()
    opt = T.optim.SGD(model.parameters(), lr=5.0)
    sched = T.optim.lr_scheduler.StepLR(opt, 1.0, gamma=0.95)
    out = []
    for _ in range(2):
        model.train()
        for i in range(0, data.size(0) - 1, bptt):
            n = min(bptt, len(data) - 1 - i)
            x, y = data[i:i + n], data[i + 1:i + 1 + n].reshape(-1)
            loss = crit(model(x).view(-1, ntokens), y)
            opt.zero_grad()
            loss.backward()
            out.append(_rec(nn.utils.clip_grad_norm_(model.parameters(), 0.5)))
            opt.step()
            out.append(_rec(loss))
        sched.step()
        out.append(np.float64(sched.get_last_lr()[0]))
    model.eval()
    with T.no_grad():
        out.append(_rec(model(data[:bptt])[0]))
    return out


def _text_classifier(T):
    nn = T.nn
    T.manual_seed(0)
    texts = [[1, 2, 3], [4, 5], [6, 7, 8, 9], [2, 5, 7], [1, 9], [3, 4, 6, 8, 2], [5], [7, 1]]
    labels = [0, 1, 2, 3, 0, 1, 2, 3]

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.EmbeddingBag(10, 8, sparse=False)
            self.fc = nn.Linear(8, 4)
            self.embedding.weight.data.uniform_(-0.5, 0.5)
            self.fc.weight.data.uniform_(-0.5, 0.5)
            self.fc.bias.data.zero_()

        def forward(self, text, offsets):
            return self.fc(self.embedding(text, offsets))

    def collate(batch):
        lab, txt, offsets = [], [], [0]
        for t, lb in batch:
            lab.append(lb)
            txt.append(T.tensor(t, dtype=T.int64))
            offsets.append(len(t))
        return T.tensor(lab), T.cat(txt), T.tensor(offsets[:-1]).cumsum(dim=0)

    model = Model()
    crit = nn.CrossEntropyLoss()
    opt = T.optim.SGD(model.parameters(), lr=5)
    sched = T.optim.lr_scheduler.StepLR(opt, 1, gamma=0.1)
    dl = T.utils.data.DataLoader(list(zip(texts, labels)), batch_size=3, shuffle=True,
                                 collate_fn=collate)
    out = []
    for _ in range(2):
        for lab, txt, offsets in dl:
            opt.zero_grad()
            pred = model(txt, offsets)
            loss = crit(pred, lab)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            opt.step()
            out += [_rec(loss), (pred.argmax(1) == lab).sum().item(), offsets.tolist()]
        sched.step()
    with T.no_grad():
        out.append(_rec(model(T.tensor([1, 2, 7]), T.tensor([0]))))
    return out


TUTORIALS = {
    "names_classifier": _names_classifier,
    "names_generator": _names_generator,
    "seq2seq_attention": _seq2seq_attention,
    "word_embeddings": _word_embeddings,
    "lstm_tagger": _lstm_tagger,
    "bilstm_crf": _bilstm_crf,
    "transformer_lm": _transformer_lm,
    "text_classifier": _text_classifier,
}


@pytest.mark.parametrize("name", sorted(TUTORIALS))
def test_tutorial_reduced(name):
    _same(TUTORIALS[name](ember), TUTORIALS[name](torch))


# -- where warnings point ----------------------------------------------------------------------
# PyTorch's module code is its own: a warning raised while one of its modules is built or called
# points at a line of torch's (shown once per process by the default filter), one raised by a
# functional call at the user's line.

def _mismatched_masks(T):
    x = T.ones(3, 1, 8)
    T.nn.MultiheadAttention(8, 2)(x, x, x, key_padding_mask=T.zeros(1, 3, dtype=T.bool),
                                  attn_mask=T.zeros(3, 3))


def _sgd(T):
    return T.optim.SGD([T.nn.Parameter(T.ones(1))], lr=0.1)


WARNS = {
    "lstm_dropout": lambda T: T.nn.LSTM(3, 3, dropout=0.5),
    "gru_dropout": lambda T: T.nn.GRU(3, 3, dropout=0.5),
    "rnn_dropout": lambda T: T.nn.RNN(3, 3, dropout=0.5),
    "rnnbase_dropout": lambda T: T.nn.RNNBase("LSTM", 3, 3, dropout=0.5),
    "transformer_nested": lambda T: T.nn.Transformer(8, 2, 1, 1, 16),
    "encoder_nested": lambda T: T.nn.TransformerEncoder(T.nn.TransformerEncoderLayer(8, 2, 16), 1),
    "softmax_module": lambda T: T.nn.Softmax()(T.ones(2, 3)),
    "log_softmax_module": lambda T: T.nn.LogSoftmax()(T.ones(2, 3)),
    "log_softmax_functional": lambda T: T.nn.functional.log_softmax(T.ones(2, 3)),
    "loss_size_average": lambda T: T.nn.NLLLoss(size_average=False),
    "functional_reduce": lambda T: T.nn.functional.nll_loss(T.zeros(2, 3), T.tensor([0, 1]),
                                                            reduce=False),
    "mse_module_target_size": lambda T: T.nn.MSELoss()(T.zeros(2, 1), T.zeros(2)),
    "mse_functional_target_size": lambda T: T.nn.functional.mse_loss(T.zeros(2, 1), T.zeros(2)),
    "mha_mismatched_masks": _mismatched_masks,
    "scheduler_get_lr": lambda T: T.optim.lr_scheduler.StepLR(_sgd(T), 1).get_lr(),
}


def _where(T, fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(T)
    return [(w.category.__name__, str(w.message), w.filename == __file__) for w in caught]


@pytest.mark.parametrize("name", sorted(WARNS))
def test_warning_points_at_library_or_user_line(name):
    assert _where(ember, WARNS[name]) == _where(torch, WARNS[name])


def test_module_warnings_show_once_from_two_user_lines():
    def run(T):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            x = T.ones(2, 3)
            T.nn.LogSoftmax()(x)
            T.nn.LogSoftmax()(x)
            T.nn.LSTM(3, 3, dropout=0.5)
            T.nn.LSTM(3, 3, dropout=0.5)
            T.nn.GRU(3, 3, dropout=0.5)
            T.nn.Transformer(8, 2, 1, 1, 16)
            T.nn.Transformer(8, 2, 1, 1, 16)
            T.nn.functional.log_softmax(x)
            T.nn.functional.log_softmax(x)
        return [str(w.message)[:30] for w in caught]
    assert run(ember) == run(torch)


# -- recurrent layers under autocast ---------------------------------------------------------
# PyTorch maps a padded input's first layer as a 3-D linear: a batch-first input's transposed
# view is not contiguous, so its map is a product and then a bias addition (two roundings in
# bfloat16); and autocast keeps one cast of a leaf input for both directions, whose gradients
# then meet in bfloat16.

@pytest.mark.parametrize("mode", ["GRU", "RNN"])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("layers", [1, 2])
def test_recurrent_layer_under_bfloat16_autocast(mode, batch_first, layers):
    def run(T):
        T.manual_seed(0)
        m = getattr(T.nn, mode)(12, 7, num_layers=layers, bidirectional=layers == 2,
                                batch_first=batch_first)
        x = T.randn(3, 9, 12, requires_grad=True)
        with T.autocast("cpu", dtype=T.bfloat16):
            o, h = m(x)
        (o.float() ** 2).sum().backward()
        return [str(o.dtype), _rec(o.float()), _rec(h.float()), _rec(x.grad)] + \
            [_rec(p.grad) for p in m.parameters()]
    a, b = run(ember), run(torch)
    assert a[0] == b[0]
    for x, y in zip(a[1:], b[1:]):
        if exact:
            assert np.array_equal(x.view(np.uint8), y.view(np.uint8))
        else:
            np.testing.assert_allclose(x, y, rtol=0.02, atol=0.02)
