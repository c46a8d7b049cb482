"""The ``fisherstat`` command line: output, defaults and one-line errors with exit status 2."""

import subprocess
import sys

import numpy as np
import pytest

from fisherstat.cli import main
from fisherstat.models import REGISTRY


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "info" in out and "models" in out


def test_info_prints_information_inverse_and_eigenvalues_of_poisson(capsys):
    assert main(["info", "Poisson", "--theta", "4", "--n", "100"]) == 0
    out = capsys.readouterr().out
    assert "Fisher information (analytic)" in out
    assert "0.25" in out  # I = 1/lambda
    assert "eigenvalues" in out
    assert "[[0.04]]" in out  # CRLB lambda / n = 4 / 100


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_info_runs_for_every_builtin_model_on_defaults(name, capsys):
    assert main(["info", name]) == 0
    out = capsys.readouterr().out
    for p in REGISTRY[name]().param_names:
        assert p in out


def test_info_default_model_runs_without_arguments(capsys):
    assert main(["info"]) == 0
    assert "LogisticRegression" in capsys.readouterr().out


def test_info_accepts_inline_covariates_and_model_options(capsys):
    assert main(["info", "LinearRegression", "--option", "k=3", "--theta", "1,2,3,0.5",
                 "--x", "1,0,0;1,1,0;1,0,1;1,1,1"]) == 0
    out = capsys.readouterr().out
    assert "4 rows" in out


def test_info_reads_covariates_from_a_file(tmp_path, capsys):
    f = tmp_path / "x.csv"
    np.savetxt(f, np.column_stack([np.ones(5), np.linspace(-1, 1, 5)]), delimiter=",")
    assert main(["info", "LogisticRegression", "--theta", "0.5", "-1", "--x", str(f)]) == 0
    assert "5 rows" in capsys.readouterr().out


def test_models_lists_all_builtin_models(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    for name in REGISTRY:
        assert name in out


@pytest.mark.parametrize(
    "argv, word",
    [
        (["info", "Gauss"], "unknown model"),
        (["info", "Normal", "--theta", "0", "-1"], "sigma2"),
        (["info", "Normal", "--theta", "0"], "theta"),
        (["info", "Normal", "--theta", "a"], "--theta"),
        (["info", "Normal", "--n", "0"], "--n"),
        (["info", "Normal", "--x", "1,2"], "covariates"),
        (["info", "LogisticRegression", "--x", "1,a"], "--x"),
        (["info", "Binomial", "--option", "n_trials"], "NAME=VALUE"),
        (["info", "Binomial", "--option", "n_trials=0"], "n_trials"),
        (["frobnicate"], "invalid choice"),
        (["info", "--method", "exact"], "invalid choice"),
    ],
)
def test_bad_arguments_give_one_line_error_and_status_2(argv, word, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fisherstat: error:")
    assert word in err


def test_console_entry_point_never_prints_a_traceback():
    proc = subprocess.run([sys.executable, "-m", "fisherstat.cli", "info", "Normal", "--theta",
                           "nan", "1"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "theta" in proc.stderr
