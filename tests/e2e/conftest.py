"""The browser tests' fixtures, from e2e_support.py. Test modules import helpers from `e2e_support`,
never from `conftest`: pytest loads every folder's conftest.py under that one module name, so which one
an import found depended on the folders a run was given."""

import pytest

pytest.register_assert_rewrite("e2e_support")  # its helpers' asserts say what differed

from e2e_support import *  # noqa: E402, F403
