"""Build hook: the wheel ships the chapter sources (``notebooks/*.md``) as package data in
``sertools/_book/notebooks/``, so that an installed ``sertools run --list`` finds its book
(``sertools.run.book_root``). Everything else is declared in pyproject.toml."""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


def ship_chapters(source: Path, build_lib: Path) -> list[Path]:
    """Copy ``<source>/notebooks/*.md`` into ``<build_lib>/sertools/_book/notebooks/``."""
    import shutil

    target = Path(build_lib) / "sertools" / "_book" / "notebooks"
    target.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(md, target / md.name)) for md in sorted((Path(source) / "notebooks").glob("*.md"))]


class BuildWithChapters(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:  # an editable install runs from the checkout, which has them
            ship_chapters(Path(__file__).resolve().parent, Path(self.build_lib))


if __name__ == "__main__":
    setup(cmdclass={"build_py": BuildWithChapters})
