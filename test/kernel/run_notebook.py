"""Executes a notebook with nbclient on its kernel (streamlab) and prints its code cells' outputs as JSON.

Usage: python run_notebook.py NOTEBOOK [EXECUTED_COPY]
"""
import json
import os
import sys

import nbformat
from nbclient import NotebookClient

path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=60, resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}}).execute()
if len(sys.argv) > 2:
    nbformat.write(nb, sys.argv[2])
print(json.dumps([c["outputs"] for c in nb.cells if c.cell_type == "code"]))
