"""The papers' models: shapes, parameter budgets, and each model's defining behaviour."""
import subprocess
import sys

import numpy as np
import pytest
import torch

from sertools.models.adarl import ADARL
from sertools.models.blstm_attention import BLSTMAttention, CoRaterFusion, FusionHead
from sertools.models.cnn_lstm import AttributeSER, count_parameters
from sertools.models.menan import Encoder, SpeakerInvariantSER
from sertools.models.resnet_adapters import AdaptedConv, ResNet20, adapt
from sertools.train import ItemDataset, TrainConfig, fit


def batch(b=4, t=60, d=45, lengths=None, **targets):
    torch.manual_seed(0)
    out = {"x": torch.randn(b, t, d), "lengths": torch.tensor(lengths or [t] * b)}
    out.update({k: torch.as_tensor(v) for k, v in targets.items()})
    return out


def run_steps(model, b, cfg=None):
    """One pass of the model's training step with its own optimizers (as the trainer does)."""
    opts = model.optimizers(cfg or TrainConfig(epochs=1, batch_size=4, lr=0.05))
    for name, loss in model.training_step(b, 0.5):
        opts[name].zero_grad(set_to_none=True)
        loss.backward()
        opts[name].step()


# ----------------------------------------------------------------------------- Chou & Lee
def test_blstm_attention_shapes_and_masking():
    m = BLSTMAttention(45, 256, 128, 256).eval()
    b = batch(lengths=[60, 40, 30, 10])
    out = m(b)
    assert out["logits"].shape == (4, 3) and out["embedding"].shape == (4, 256)
    b2 = {**b, "x": b["x"].clone()}
    b2["x"][3, 10:] = 99.0  # padding must not matter
    assert torch.allclose(m(b2)["logits"], out["logits"], atol=1e-5)
    assert torch.allclose(out["attention"].sum(1), torch.ones(4))


def test_fusion_keeps_submodels_frozen():
    subs = [BLSTMAttention(45, 16, 8, 16) for _ in range(2)]
    fusion = CoRaterFusion(subs, FusionHead(32, (16, 8, 16)))
    before = [p.clone() for p in fusion.submodels.parameters()]
    fusion.train()
    assert not any(m.training for m in fusion.submodels.modules())
    b = batch(b=8, y=[0, 1, 2, 0, 1, 2, 0, 1])
    opt = torch.optim.Adam([p for p in fusion.parameters() if p.requires_grad], lr=0.1)
    loss = torch.nn.functional.cross_entropy(fusion(b)["logits"], b["y"])
    loss.backward()
    opt.step()
    assert all(torch.equal(a, p) for a, p in zip(before, fusion.submodels.parameters()))
    assert all(p.grad is None for p in fusion.submodels.parameters())


def test_soft_target_training_uses_distribution():
    m = BLSTMAttention(45, 16, 8, 16, soft=True)
    y = torch.tensor([[0.67, 0.0, 0.33]] * 4)
    (loss,) = [l for _, l in m.training_step(batch(y=y), 0.0)]
    logp = m(batch())["logits"].log_softmax(-1)
    assert torch.isclose(loss, -(y * logp).sum(-1).sum() / y.sum(), atol=1e-5)


# ----------------------------------------------------------------------------- Li et al.
def test_menan_table1_shapes():
    enc = Encoder()
    v = enc(torch.randn(2, 1400, 43), torch.tensor([1400, 700]))
    assert v.shape == (2, 96)
    m = SpeakerInvariantSER(4, 8, "menan")
    assert m.ec[-1].out_features == 4 and m.sc[-1].out_features == 8 and m.ec[0].in_features == 96


def test_menan_alternates_and_sc_is_frozen_for_the_encoder_step():
    torch.manual_seed(0)
    m = SpeakerInvariantSER(4, 8, "menan")
    b = batch(b=8, t=200, d=43, y=[0, 1, 2, 3] * 2, speaker=list(range(8)))
    opts = m.optimizers(TrainConfig(epochs=1, batch_size=8, lr=0.01))
    steps = m.training_step(b, 0.0)
    name, loss = next(steps)
    assert name == "sc"
    enc_before = [p.clone() for p in m.enc.parameters()]
    opts["sc"].zero_grad()
    loss.backward()
    assert all(p.grad is None or torch.all(p.grad == 0) for p in m.enc.parameters())  # detached encoder
    opts["sc"].step()
    name, loss = next(steps)
    assert name == "main"
    sc_before = [p.clone() for p in m.sc.parameters()]
    opts["main"].zero_grad()
    loss.backward()
    opts["main"].step()
    assert all(torch.equal(a, p) for a, p in zip(sc_before, m.sc.parameters()))      # SC not stepped
    assert not all(torch.equal(a, p) for a, p in zip(enc_before, m.enc.parameters()))  # ENC moved


def test_dat_reverses_the_speaker_gradient_into_the_encoder():
    b = batch(b=8, t=200, d=43, y=[0] * 8, speaker=list(range(8)))
    grads = {}
    for system in ("multitask", "dat"):
        torch.manual_seed(0)
        m = SpeakerInvariantSER(4, 8, system, lambda_=0.0)  # speaker term only
        (_, loss), = list(m.training_step(b, 0.0))
        loss.backward()
        grads[system] = m.enc.proj[0].weight.grad.clone()
        sc_grad = m.sc[0].weight.grad.clone()
        grads[system + "_sc"] = sc_grad
    assert torch.allclose(grads["dat"], -grads["multitask"], atol=1e-6)
    assert torch.allclose(grads["dat_sc"], grads["multitask_sc"], atol=1e-6)


# ----------------------------------------------------------------------------- Parry et al.
def test_cnn_lstm_parameter_budgets():
    m = AttributeSER(3, {"corpus": 6}, "ad", 0.5)
    assert count_parameters(m.shared) == pytest.approx(1.8e6, rel=0.05)          # "≈ 1.8 million"
    assert count_parameters(m.discriminators["corpus"]) == pytest.approx(1e6, rel=0.05)  # "≈ 1 million"
    out = m(batch(t=300, d=40))
    assert out["logits"].shape == (4, 3)


@pytest.mark.parametrize("pooling", ["mean", "last"])
def test_fast_cnn_lstm_computes_the_plain_network(pooling):
    """Training runs the shared CNN's Conv1d/MaxPool1d layers as 1×k 2-D layers on channels-last
    memory (FastSharedCNNLSTM); the chapter shows the plain 1-D stack (SharedCNNLSTM): the outputs
    and every weight's gradient agree."""
    from sertools.models.cnn_lstm import FastSharedCNNLSTM, SharedCNNLSTM

    torch.manual_seed(0)
    fast = FastSharedCNNLSTM(channels=24, hidden=16, pooling=pooling)
    plain = SharedCNNLSTM(channels=24, hidden=16, pooling=pooling)
    plain.load_state_dict(fast.state_dict())
    x, lengths = torch.randn(5, 90, 40), torch.tensor([90, 70, 64, 33, 17])
    outs = [net(x, lengths) for net in (fast, plain)]
    grads = [torch.autograd.grad(o.square().sum(), list(net.parameters())) for o, net in zip(outs, (fast, plain))]
    assert torch.allclose(outs[0], outs[1], atol=1e-5)
    assert all(torch.allclose(g, r, rtol=1e-4, atol=1e-5) for g, r in zip(*grads))
    assert isinstance(AttributeSER(3, {}).shared, FastSharedCNNLSTM)


def test_ad_discriminator_only_moves_with_its_own_loss():
    m = AttributeSER(3, {"gender": 2}, "ad", 0.5, channels=16, hidden=16)
    b = batch(b=6, t=100, d=40, y=[0, 1, 2, 0, 1, 2], gender=[0, 1] * 3)
    opts = m.optimizers(TrainConfig(epochs=1, batch_size=6, lr=0.1, optimizer="sgd"))
    steps = m.training_step(b, 0.0)
    name, loss = next(steps)
    shared_before = [p.clone() for p in m.shared.parameters()]
    opts[name].zero_grad()
    loss.backward()
    opts[name].step()
    assert name == "d" and all(torch.equal(a, p) for a, p in zip(shared_before, m.shared.parameters()))
    name, loss = next(steps)
    d_before = [p.clone() for p in m.discriminators.parameters()]
    opts[name].zero_grad()
    loss.backward()
    opts[name].step()
    assert name == "main" and all(torch.equal(a, p) for a, p in zip(d_before, m.discriminators.parameters()))


def test_gr_alpha_is_constant_without_the_ramp():
    m = AttributeSER(3, {"corpus": 2}, "gr", 0.5, channels=8, hidden=8, time_mask=0, freq_mask=0, ramp=False)
    m.eval()
    b = batch(b=4, t=64, d=40, y=[0, 1, 2, 0], corpus=[0, 1, 0, 1])
    (_, l0), = list(m.training_step(b, 0.0))
    (_, l1), = list(m.training_step(b, 1.0))
    assert torch.isclose(l0, l1)  # the same weight at the start and at the end


def test_gr_alpha_ramps_with_training_progress():
    m = AttributeSER(3, {"corpus": 2}, "gr", 0.5, channels=8, hidden=8, time_mask=0, freq_mask=0)
    m.eval()
    b = batch(b=4, t=64, d=40, y=[0, 1, 2, 0], corpus=[0, 1, 0, 1])
    (_, l0), = list(m.training_step(b, 0.0))
    (_, l1), = list(m.training_step(b, 1.0))
    emo = torch.nn.functional.cross_entropy(m(b)["logits"], b["y"])
    assert torch.isclose(l0, emo, atol=1e-5)  # α = 0 at the start: emotion only
    assert not torch.isclose(l1, emo, atol=1e-5)


# ----------------------------------------------------------------------------- Xi et al.
def test_resnet20_follows_table1():
    m = ResNet20(4, adapters=True, width=32)
    x = torch.randn(1, 200, 400)
    h = torch.nn.functional.max_pool2d(torch.relu(m.stem(x.transpose(1, 2).unsqueeze(1))), 3, 2, 1)
    assert tuple(h.shape[2:]) == (200, 100)
    assert tuple(m.blocks(h).shape[1:]) == (256, 25, 13)
    assert len([c for c in m.modules() if isinstance(c, torch.nn.Conv2d) and c.kernel_size != (1, 1)]) == 19


def test_fast_resnet20_computes_the_plain_network():
    """The trained network (FastAdaptedConv: strided adapters as subsampling + 1×1) and the one the
    chapter shows (AdaptedConv: a strided 1×1 convolution) give the same outputs and gradients."""
    torch.manual_seed(0)
    fast = ResNet20(4, adapters=True, width=4)
    plain = ResNet20(4, adapters=True, width=4, plain=True)
    plain.load_state_dict(fast.state_dict())
    plain.to(memory_format=torch.contiguous_format)  # the strided 1×1 kernel is safe on contiguous memory
    assert any(isinstance(m, AdaptedConv) and m.adapter.stride == (2, 2) for m in plain.modules())
    x = torch.randn(3, 40, 48)
    outs, grads = [], []
    for net in (fast, plain):
        net.train()
        out = net({"x": x})["logits"]
        outs.append(out)
        grads.append(torch.autograd.grad(out.square().sum(), list(net.parameters())))
    assert torch.allclose(outs[0], outs[1], atol=1e-5)
    assert all(torch.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(*grads))


def test_adapters_with_few_channels_train_without_corrupting_memory():
    """oneDNN's strided 1×1 backward-weights kernel corrupts the heap (one thread) or hangs (two)
    on channels-last inputs with fewer than 8 channels; the adapters must not reach it."""
    script = (
        "import torch\n"
        "from sertools.models.resnet_adapters import AdaptedConv, ResNet20, adapt\n"
        "torch.set_num_threads(1)\n"
        "for seed in range(10):\n"
        "    torch.manual_seed(seed)\n"
        "    model = adapt(ResNet20(10, adapters=True, width=4), 'residual_adapter', 4)\n"
        "    model({'x': torch.randn(8, 40, 40)})['logits'].sum().backward()\n"
        "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_adapt_trains_only_what_each_method_says():
    torch.manual_seed(0)
    speaker = ResNet20(10, adapters=True, width=4)
    ra = adapt(speaker, "residual_adapter", 4)
    trainable = {n for n, p in ra.named_parameters() if p.requires_grad}
    assert trainable and all(("adapter" in n) or ("bn" in n) or n.startswith("fc") for n in trainable)
    before = {n: p.clone() for n, p in ra.named_parameters() if "conv.weight" in n}
    rng = np.random.default_rng(0)
    ds = ItemDataset([{"x": rng.normal(size=(40, 40)).astype(np.float32), "y": i % 4, "utt": i} for i in range(16)])
    fit(ra, ds, TrainConfig(epochs=1, batch_size=8, lr=0.1, optimizer="sgd", monitor=None, bucket=False), device="cpu")
    assert all(torch.equal(before[n], p) for n, p in ra.named_parameters() if n in before)  # 3x3 frozen
    ao = adapt(speaker, "adapter_only", 4)
    assert all(torch.all(c.conv.weight == 0) for c in ao.convs())
    fe = adapt(ResNet20(10, adapters=False, width=4), "feature_extractor", 4)
    assert {n for n, p in fe.named_parameters() if p.requires_grad} == {"fc.weight", "fc.bias"}
    stats = fe.stem.bn.running_mean.clone()
    fit(fe, ds, TrainConfig(epochs=1, batch_size=8, lr=0.1, optimizer="sgd", monitor=None, bucket=False), device="cpu")
    assert torch.equal(stats, fe.stem.bn.running_mean)  # frozen BN statistics
    with pytest.raises(ValueError):
        adapt(ResNet20(10, adapters=False, width=4), "residual_adapter", 4)


# ----------------------------------------------------------------------------- Fan et al.
def test_adarl_sizes_and_attention():
    m = ADARL(4, 2, "adarl", (400, 300)).eval()
    x = torch.randn(2, 300, 3, 400)
    fe = m.emotion_path(x.permute(0, 2, 3, 1))
    assert tuple(fe.shape[1:]) == (64, 8, 6) and fe[0].numel() == 3072
    out = m({"x": x})
    w = out["frequency_weights"]
    assert w.shape == (2, 8) and torch.all((w > 0) & (w < 1))
    assert out["logits"].shape == (2, 4) and out["domain_logits"].shape == (2, 2) and out["embedding"].shape == (2, 64)
    assert not hasattr(ADARL(4, 2, "backbone", (80, 48)), "domain_path")
    for size in [(80, 48), (40, 24)]:
        assert tuple(ADARL(4, 2, "adarl", size).emotion_path(torch.zeros(1, 3, *size)).shape[1:]) == (64, 8, 6)


def test_adarl_center_update_moves_centres():
    m = ADARL(4, 2, "backbone", (40, 24))
    b = {"x": torch.randn(8, 24, 3, 40), "lengths": torch.full((8,), 24), "y": torch.tensor([0, 1, 2, 3] * 2),
         "gender": torch.tensor([0, 1] * 4)}
    before = m.center.centers.clone()
    list(m.training_step(b, 0.0))
    m.after_step(b)
    assert not torch.equal(before, m.center.centers)
