"""Seeds trained as one batched ensemble equal the one-at-a-time trainer up to float rounding."""
import numpy as np
import pytest
import torch

from sertools.config import seed_everything
from sertools.ensemble import EnsembleUnsupported, fit_ensemble
from sertools.models.blstm_attention import BLSTMAttention
from sertools.models.menan import SpeakerInvariantSER
from sertools.models.resnet_adapters import ResNet20
from sertools.train import ItemDataset, TrainConfig, fit, predict

TOLERANCE = 1e-4
"""Largest difference allowed between a member and its one-at-a-time run on the small case below:
per-epoch losses and UAs, and the final class probabilities. A batched convolution sums in another
order; one step agrees to ~1e-7, and the difference grows with training as rounding does between
two CPUs: in an ill-conditioned run (batch norm over 8 random inputs, measured) a validation loss
moved by 1e-2 within two epochs, as another seed's would."""


def _chunks(n: int, seed: int) -> ItemDataset:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    return ItemDataset([{"x": (rng.normal(0, 1, (25, 40)) + y[i]).astype(np.float32), "y": int(y[i]), "utt": i // 2}
                        for i in range(n)])


def _resnet(seed: int, adapters: bool = True) -> ResNet20:
    seed_everything(seed)
    return ResNet20(4, adapters, 8)


CFG = dict(epochs=2, batch_size=16, lr=0.01, optimizer="sgd", nesterov=True, momentum=0.9, weight_decay=1e-3,
           schedule="step", milestones=(1,), bucket=False)


@pytest.mark.parametrize("monitor", [None, "val_ua"])
def test_each_member_equals_its_one_at_a_time_run(tmp_path, monitor):
    train, val = _chunks(32, 0), _chunks(16, 1)
    cfg = TrainConfig(**CFG, monitor=monitor)
    seeds = [0, 1, 2]
    alone = []
    for s in seeds:
        m = _resnet(s)
        alone.append((m, fit(m, train, cfg, val, seed=s, device="cpu", labels=range(4), track=val)))
    members = [_resnet(s) for s in seeds]
    hists = fit_ensemble(members, train, cfg, seeds, val, device="cpu", labels=range(4), track=val,
                         checkpoints=[tmp_path / f"{s}.pt" for s in seeds])
    for (m, h1), m2, h2 in zip(alone, members, hists):
        assert len(h1.epochs) == len(h2.epochs) and h1.best_epoch == h2.best_epoch
        for e1, e2 in zip(h1.epochs, h2.epochs):
            assert e1.keys() == e2.keys()
            for k in e1:
                assert abs(e1[k] - e2[k]) <= TOLERANCE, (k, e1[k], e2[k])
        p1, p2 = predict(m, val), predict(m2, val)
        assert np.abs(p1.probs - p2.probs).max() <= TOLERANCE
        assert (p1.pred == p2.pred).all()
    # the members differ from each other (own initialisation and data order)
    assert hists[0].epochs[0]["loss_main"] != hists[1].epochs[0]["loss_main"]
    # each member is stored as its own unit: a second call loads the checkpoints and trains nothing
    again = [_resnet(s) for s in seeds]
    resumed = fit_ensemble(again, train, cfg, seeds, val, device="cpu", labels=range(4),
                           checkpoints=[tmp_path / f"{s}.pt" for s in seeds])
    assert all(h.resumed for h in resumed)
    assert torch.equal(again[1].fc.weight, members[1].fc.weight)


def test_what_cannot_run_as_an_ensemble_is_refused_with_its_reason():
    train = ItemDataset([{"x": np.ones((6, 45), np.float32), "y": i % 3, "utt": i} for i in range(16)])
    cfg = TrainConfig(1, 8, 1e-3, bucket=False, monitor=None)
    with pytest.raises(EnsembleUnsupported, match="random"):   # dropout would draw other numbers
        fit_ensemble([BLSTMAttention(45, 8, 4, 8, 3) for _ in range(2)], train, cfg, [0, 1], device="cpu")
    spk = ItemDataset([{**it, "speaker": 0, "x": np.ones((60, 43), np.float32)} for it in train.items])
    with pytest.raises(EnsembleUnsupported, match="several optimisers"):
        fit_ensemble([SpeakerInvariantSER(3, 2, "menan") for _ in range(2)], spk, cfg, [0, 1], device="cpu")
