"""The trainer: learning, early stopping, resuming, multiple optimizers."""
import numpy as np
import torch
from torch import nn

from sertools.train import ItemDataset, System, TrainConfig, TRAIN_PROBE, fit, predict, utterance_targets


def toy_items(n=120, seed=0, chunks=1):
    rng = np.random.default_rng(seed)
    items = []
    for u in range(n):
        y = u % 2
        for _ in range(chunks):
            x = rng.normal(0, 1, (int(rng.integers(5, 12)), 4)).astype(np.float32)
            x[:, 0] += 2.0 * (2 * y - 1)
            items.append({"x": x, "y": y, "utt": u})
    return ItemDataset(items)


class MeanLinear(System):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 2)
        self.aux = nn.Linear(4, 2)

    def forward(self, batch):
        mask = (torch.arange(batch["x"].shape[1])[None] < batch["lengths"][:, None]).unsqueeze(-1)
        z = (batch["x"] * mask).sum(1) / batch["lengths"][:, None]
        return {"logits": self.lin(z), "embedding": z}


def test_fit_learns_and_predicts_per_utterance():
    train, val = toy_items(), toy_items(40, seed=1, chunks=3)
    model = MeanLinear()
    hist = fit(model, train, TrainConfig(epochs=8, batch_size=16, lr=0.05), val, seed=0, device="cpu", labels=[0, 1])
    assert hist.epochs[-1]["val_ua"] > 0.9 and 1 <= hist.best_epoch <= 8
    pred = predict(model, val)
    u, y = utterance_targets(val)
    assert len(pred.utt) == 40 and np.array_equal(u, pred.utt) and np.allclose(pred.probs.sum(1), 1)
    assert pred.embedding.shape == (40, 4)


def test_fit_is_deterministic_and_resumes(tmp_path):
    ckpt = tmp_path / "m.pt"
    torch.manual_seed(0)
    a = MeanLinear()
    torch.manual_seed(0)
    b = MeanLinear()
    cfg = TrainConfig(epochs=3, batch_size=8, lr=0.01, monitor=None)
    fit(a, toy_items(), cfg, seed=3, device="cpu", checkpoint=ckpt)
    fit(b, toy_items(), cfg, seed=3, device="cpu")
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    c = MeanLinear()
    hist = fit(c, toy_items(), cfg, seed=99, device="cpu", checkpoint=ckpt)
    assert hist.resumed and all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))


class TwoOptimizers(MeanLinear):
    """An alternating step: 'aux' is trained on detached features, then 'main' on its own loss."""

    def optimizers(self, cfg):
        return {"aux": torch.optim.SGD(self.aux.parameters(), lr=0.1),
                "main": torch.optim.SGD(self.lin.parameters(), lr=0.1)}

    def training_step(self, batch, progress):
        z = self(batch)["embedding"]
        yield "aux", nn.functional.cross_entropy(self.aux(z.detach()), batch["y"])
        yield "main", nn.functional.cross_entropy(self.lin(z), batch["y"]) - 0.1 * self.aux(z).mean()


def test_each_optimizer_only_moves_its_parameters():
    model = TwoOptimizers()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    fit(model, toy_items(), TrainConfig(epochs=1, batch_size=16, lr=0.1, monitor=None), device="cpu")
    after = model.state_dict()
    assert not torch.equal(before["aux.weight"], after["aux.weight"])
    assert not torch.equal(before["lin.weight"], after["lin.weight"])


def test_early_stopping_restores_best_epoch():
    model = MeanLinear()
    cfg = TrainConfig(epochs=30, batch_size=16, lr=0.05, patience=2, monitor="val_loss")
    hist = fit(model, toy_items(), cfg, toy_items(30, seed=2), device="cpu", labels=[0, 1])
    losses = [e["val_loss"] for e in hist.epochs]
    assert len(hist.epochs) <= 30 and hist.best_epoch == int(np.argmin(losses)) + 1


def test_early_stopping_on_validation_ua_keeps_the_first_best_ua_epoch():
    model = MeanLinear()
    cfg = TrainConfig(epochs=12, batch_size=16, lr=0.05, patience=3, monitor="val_ua")
    hist = fit(model, toy_items(), cfg, toy_items(30, seed=2), device="cpu", labels=[0, 1])
    uas = [e["val_ua"] for e in hist.epochs]
    assert hist.best_epoch == int(np.argmax(uas)) + 1
    assert len(hist.epochs) == 12 or len(hist.epochs) - hist.best_epoch == 4  # patience 3: stops at the 4th miss


def test_chou_stops_on_validation_ua_in_the_book_and_on_the_loss_in_full():
    from sertools.experiments import chou2020

    monitor = {p: chou2020.train_config(chou2020.parameters({"profile": p}), "iemocap")[1].monitor
               for p in ("smoke", "book", "full")}
    assert monitor == {"smoke": "val_ua", "book": "val_ua", "full": "val_loss"}
    P = chou2020.parameters({"profile": "book", "stop_on": "val_loss"})
    assert chou2020.train_config(P, "iemocap")[1].monitor == "val_loss"


def test_a_corrupt_unit_or_checkpoint_is_quarantined_and_recomputed(tmp_path):
    import warnings

    import torch

    from sertools.results import CorruptResultWarning, Experiment
    from sertools.train import ItemDataset, System, TrainConfig, fit

    exp = Experiment("t", "p", "c", "s", root=tmp_path)
    key = {"system": "a", "seed": 0}
    calls = []
    exp.unit(key, lambda: calls.append(1) or {"ua": 0.5})
    row = next((exp.dir / "units").glob("*.json"))
    row.write_text('[{"ua": 0.5')                      # truncated by a kill
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows, _ = exp.unit(key, lambda: calls.append(1) or {"ua": 0.6})
    assert rows[0]["ua"] == 0.6 and len(calls) == 2
    assert any(issubclass(w.category, CorruptResultWarning) and str(row) in str(w.message) for w in caught)
    assert row.with_name(row.name + ".corrupt").exists()

    class Tiny(System):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Linear(2, 2)

        def forward(self, batch):
            return {"logits": self.net(batch["x"].mean(1))}

    ckpt = tmp_path / "m.pt"
    ckpt.write_bytes(b"PK\x03\x04 not a checkpoint")
    items = ItemDataset([{"x": np.zeros((3, 2), np.float32), "y": i % 2, "utt": i} for i in range(8)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hist = fit(Tiny(), items, TrainConfig(epochs=1, batch_size=4, lr=0.1, monitor=None), checkpoint=ckpt,
                   device="cpu")
    assert not hist.resumed and ckpt.exists() and any("m.pt" in str(w.message) for w in caught)


def test_max_steps_cuts_every_epoch_short():
    class Counting(MeanLinear):
        steps = 0

        def after_step(self, batch):
            Counting.steps += 1

    hist = fit(Counting(), toy_items(), TrainConfig(epochs=3, batch_size=8, lr=0.01, monitor=None, max_steps=2),
               seed=0, device="cpu")
    assert Counting.steps == 6 and len(hist.epochs) == 3


def test_a_dry_run_scores_as_few_utterances_as_it_trains_on():
    class Seen(MeanLinear):
        scored = 0

        def forward(self, batch):
            if not self.training:
                Seen.scored += len(batch["y"])
            return super().forward(batch)

    big = toy_items(120, seed=1)
    fit(Seen(), toy_items(), TrainConfig(epochs=1, batch_size=8, lr=0.01, monitor="val_ua", max_steps=2), val=big,
        track=big, seed=0, device="cpu", labels=[0, 1])
    assert Seen.scored == 3 * 16          # training probe, validation and tracking: 2 batches × 8 each
    Seen.scored = 0
    fit(Seen(), toy_items(), TrainConfig(epochs=1, batch_size=8, lr=0.01, monitor="val_ua"), val=big, track=big,
        seed=0, device="cpu", labels=[0, 1])
    assert Seen.scored == TRAIN_PROBE + 120 + 120  # a real run: its training probe, all of validation and tracking
