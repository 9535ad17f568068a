"""Layers and losses shared by several papers."""
from .layers import AttentionPooling, BiLSTM, GradientReversal, StatisticsPooling, grad_reverse, lengths_to_mask
from .losses import CenterLoss, entropy, weighted_cross_entropy

__all__ = ["AttentionPooling", "BiLSTM", "CenterLoss", "GradientReversal", "StatisticsPooling", "entropy", "grad_reverse",
           "lengths_to_mask", "weighted_cross_entropy"]
