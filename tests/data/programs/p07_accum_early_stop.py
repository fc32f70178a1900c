import io
import os
import tempfile
import torch
import torch.nn as nn

torch.manual_seed(6)
X = torch.randn(96, 10)
true_w = torch.randn(10, 1)
Y = X @ true_w + 0.1 * torch.randn(96, 1)
Xtr, Ytr, Xva, Yva = X[:64], Y[:64], X[64:], Y[64:]
model = nn.Sequential(nn.Linear(10, 32), nn.GELU(), nn.Dropout(0.1), nn.Linear(32, 1))
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1)
loss_fn = nn.MSELoss()
accum = 4
best, bad, patience = float("inf"), 0, 3
tmpdir = tempfile.mkdtemp()
ckpt = os.path.join(tmpdir, "best.pt")
for epoch in range(12):
    model.train()
    opt.zero_grad(set_to_none=True)
    for i, s in enumerate(range(0, 64, 8)):
        loss = loss_fn(model(Xtr[s:s + 8]), Ytr[s:s + 8]) / accum
        loss.backward()
        if (i + 1) % accum == 0:
            total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
            opt.step()
            opt.zero_grad()
    model.eval()
    with torch.no_grad():
        val = loss_fn(model(Xva), Yva).item()
    sched.step(val)
    lr = opt.param_groups[0]["lr"]
    print(f"epoch {epoch:02d} val {val:.5f} grad_norm {total:.4f} lr {lr:.2e}")
    if val < best - 1e-4:
        best, bad = val, 0
        torch.save({"epoch": epoch, "model": model.state_dict(), "opt": opt.state_dict(),
                    "val": val}, ckpt)
    else:
        bad += 1
        if bad >= patience:
            print("early stopping at", epoch)
            break
state = torch.load(ckpt)
print(state["epoch"], f"{state['val']:.5f}", sorted(state.keys()))
model.load_state_dict(state["model"])
opt.load_state_dict(state["opt"])
print(opt.state[model[0].weight]["exp_avg"].shape, opt.state[model[0].weight]["step"])
with torch.no_grad():
    print(f"{loss_fn(model(Xva), Yva).item():.5f}")
buf = io.BytesIO()
torch.save(model, buf)
buf.seek(0)
m2 = torch.load(buf, weights_only=False)
print(m2)
print(all(torch.equal(a, b) for a, b in zip(m2.parameters(), model.parameters())))
print(sched.state_dict()["best"] == best, sched.num_bad_epochs)
loss_fn(model(Xva), Yva).backward()
g = torch.nn.utils.clip_grad_value_(model.parameters(), 0.1)
print(model[0].bias.grad.abs().max() <= 0.1)
print(g)
os.remove(ckpt)
os.rmdir(tmpdir)
