"""The papers' models. Each lives in its own module and is shown in its chapter."""
