"""The inspection domain's pure computations: plain data in, plain data out, no database and no Flask.

Their twins in ``inspection/operations/`` load rows, call these and write what they return.
"""
