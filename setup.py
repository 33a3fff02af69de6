"""Packaging hook: the dataset (data/) and the notebooks (notebooks/) live at the repository's top
level, and are copied into the package (nrmc/_bundled/) when a wheel is built, so that an installed
nrmc has its data and notebooks (see src/nrmc/resources.py). All other settings are in pyproject.toml.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLE = {"data": ("*.csv", "*.md", "datapackage.json"), "notebooks": ("*.ipynb",)}


class BuildPyWithBundle(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's folders directly
            return
        for folder, patterns in BUNDLE.items():
            src = ROOT / folder
            if not src.is_dir():
                raise SystemExit(f"cannot bundle {folder}/: not found beside setup.py")
            dest = Path(self.build_lib) / "nrmc" / "_bundled" / folder
            dest.mkdir(parents=True, exist_ok=True)
            for pattern in patterns:
                for f in sorted(src.glob(pattern)):
                    shutil.copyfile(f, dest / f.name)


setup(cmdclass={"build_py": BuildPyWithBundle})
