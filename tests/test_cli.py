"""The ``fisherstat`` command line: output, defaults and one-line errors with exit status 2."""

import subprocess
import sys

import numpy as np
import pytest

import fisherstat as fs
from fisherstat.cli import main
from fisherstat.registry import KINDS, REGISTRY


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
    entry = REGISTRY[name]
    for p in entry.names(entry.build()):
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


def test_models_lists_every_model_with_its_kind(capsys):
    assert main(["models"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert [r[:22].strip() for r in rows] == list(REGISTRY)
    width = max(len(k) for k in KINDS) + 2  # the kind column fits the longest kind
    for row, entry in zip(rows, REGISTRY.values(), strict=True):
        assert row[22:22 + width].strip() == entry.kind
        assert row[22 + width - 2:22 + width] == "  "
    kinds = {e.kind for e in REGISTRY.values()}
    assert kinds == set(KINDS)


def _printed_matrix(out, p):
    """The p x p matrix printed under 'Fisher information' (rows: name then p numbers)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Fisher information"))
    return np.array([[float(v) for v in line.split()[1:]]
                     for line in lines[start + 2:start + 2 + p]])


def test_info_arma_with_options_prints_the_exact_information(capsys):
    assert main(["info", "ARMA", "--option", "p=1", "--option", "q=1"]) == 0
    out = capsys.readouterr().out
    model = fs.models.ARMA(1, 1)
    theta = model.example_theta()
    info = fs.fisher(model, theta)
    assert "model: ARMA(p=1, q=1, mean=False)" in out
    assert info.summary() in out
    np.testing.assert_allclose(_printed_matrix(out, 3), info.matrix, rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(info.matrix[0, 1], 1 / (1 + 0.5 * 0.3), rtol=1e-12)


def test_info_arma_options_change_the_model_and_mean_is_a_boolean(capsys):
    assert main(["info", "ARMA", "--option", "p=2", "--option", "q=0", "--option",
                 "mean=true", "--theta", "0", "0.5", "-0.2", "1"]) == 0
    out = capsys.readouterr().out
    model = fs.models.ARMA(2, 0, mean=True)
    info = fs.fisher(model, [0, 0.5, -0.2, 1])
    assert "model: ARMA(p=2, q=0, mean=True)" in out and info.summary() in out


def test_info_population_model_prints_the_population_fim_of_its_design(capsys):
    assert main(["info", "WarfarinPK"]) == 0
    out = capsys.readouterr().out
    model, design = fs.pkpd.warfarin_example()
    info = model.fim(design).info
    assert info.summary() in out
    assert f"design: {design!r}" in out and "(32 subjects)" in out


def test_info_network_model_uses_its_example_inputs(capsys):
    assert main(["info", "MLP", "--option", "hidden=3"]) == 0
    out = capsys.readouterr().out
    net = fs.nn.MLP((1, 3, 1), "tanh", "linear", sigma2=None)
    info = fs.fisher(net, net.example_theta(), x=net.example_x())
    assert info.summary() in out and "covariates: 20 rows" in out


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
        (["info", "ARMA", "--option", "p=x"], "--option p must be an integer"),
        (["info", "ARMA", "--option", "r=1"], "--option r: ARMA has no option 'r'"),
        (["info", "ARMA", "--option", "mean=maybe"], "--option mean must be true or false"),
        (["info", "ARMA", "--x", "1,2"], "covariates"),
        (["info", "WarfarinPK", "--method", "monte_carlo"], "not available"),
        (["info", "WarfarinPK", "--theta", "0.2", "8", "1", "0.07", "0.02", "0.6", "0.02"],
         "only the fixed effects"),
        (["info", "WarfarinPK", "--theta", "0.2"], "theta"),
        (["check", "WarfarinPK"], "population model"),
        (["design", "WarfarinPK"], "population model"),
        (["design", "ARMA"], "no covariates"),
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


def test_info_reports_unidentified_parameters_as_inf_at_a_singularity(capsys):
    """ARMA(1, 1) with a common root (phi = -theta): phi1 and theta1 are not identified,
    so their standard errors are inf (never the finite pseudo-inverse value sqrt(3/16)),
    sigma2 keeps its exact SE sqrt(2 sigma2^2) = sqrt(2); issue 17, point 2."""
    argv = ["info", "ARMA", "--option", "p=1", "--option", "q=1", "--theta", "0.5", "-0.5", "1"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "numerical rank 2 < 3" in captured.err  # the warning with the rank is kept
    se_line = out.splitlines()[out.splitlines().index(
        next(ln for ln in out.splitlines() if ln.startswith("Cramer-Rao standard errors"))) + 2]
    se = [float(v) for v in se_line.split()]
    assert se[:2] == [np.inf, np.inf]
    np.testing.assert_allclose(se[2], np.sqrt(2.0), rtol=1e-5)  # printed to 6 digits
    assert "not identified" in out and "phi1, theta1" in out
