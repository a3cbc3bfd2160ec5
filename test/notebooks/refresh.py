"""Re-executes notebooks in place on the streamlab kernel, so they are committed with the outputs of
a real run (GitHub then shows their tables and static SVG charts). Run after `npm run build`:

    .venv/bin/python test/notebooks/refresh.py notebooks/0*.ipynb
"""
import os
import sys

import nbformat

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kernel"))
from streamlab_client import StreamlabNotebookClient  # noqa: E402  (nbclient, run as JupyterLab runs cells)

for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    # No per-cell timestamps: a refresh should change outputs, not every cell's metadata.
    StreamlabNotebookClient(nb, timeout=120, record_timing=False,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}}).execute()
    nbformat.write(nb, path)
    print(f"refreshed {path}")
