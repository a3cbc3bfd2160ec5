"""Executes a notebook with nbclient on its kernel (streamlab) and prints its code cells' outputs as JSON.
Cells are run as JupyterLab runs them (with their cell ids; see streamlab_client.py).

Usage: python run_notebook.py NOTEBOOK [EXECUTED_COPY]
"""
import json
import os
import sys

import nbformat

from streamlab_client import StreamlabNotebookClient

path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
StreamlabNotebookClient(nb, timeout=60, resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}}).execute()
if len(sys.argv) > 2:
    nbformat.write(nb, sys.argv[2])
print(json.dumps([c["outputs"] for c in nb.cells if c.cell_type == "code"]))
