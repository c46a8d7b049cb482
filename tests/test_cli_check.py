"""``fisherstat check``: the default study, options, figures and one-line errors (exit 2)."""

import sys

import pytest

import fisherstat.cli as cli
from fisherstat.cli import check


@pytest.fixture(autouse=True)
def with_check_command(monkeypatch):
    """Register the command if the CLI does not list it yet."""
    if check not in cli.COMMANDS:
        monkeypatch.setattr(cli, "COMMANDS", [*cli.COMMANDS, check])


def test_plain_check_runs_the_default_logistic_convergence_study(capsys):
    assert cli.main(["check"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "LogisticRegression(beta_1, beta_2)" in out
    assert "sample sizes n = 25, 100, 400, 1600; 1000 replicates each" in out
    assert "verdict at n = 25: FAILS" in out  # small n: variance above the bound
    assert "verdict at n = 1600: CONSISTENT" in out
    assert "1000/1000" in captured.err or "4000/4000" in captured.err  # progress bar


def test_check_of_one_size_prints_the_full_report(capsys):
    assert cli.main(["check", "Poisson", "--theta", "3", "--n", "50", "--reps", "300",
                     "--seed", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Asymptotic normality check: Poisson(lam)" in out
    assert "coverage of 95% Wald intervals" in out and "var ratio [CI]" in out
    assert "verdict at n = 50" in out


def test_check_with_workers_gives_the_same_report(capsys):
    args = ["check", "Normal", "--n", "30", "--reps", "200", "--quiet"]
    assert cli.main(args) == 0
    serial = capsys.readouterr().out
    assert cli.main([*args, "--workers", "2"]) == 0
    assert capsys.readouterr().out == serial


def test_check_saves_the_figure(tmp_path, capsys):
    import matplotlib  # noqa: F401  (the [test] extra installs it)
    path = tmp_path / "study.png"
    assert cli.main(["check", "Normal", "--n", "30", "--reps", "100", "--quiet",
                     "--plot", str(path)]) == 0
    assert path.stat().st_size > 1000
    assert f"figure saved to {path}" in capsys.readouterr().out


def test_check_resumes_from_a_checkpoint(tmp_path, capsys):
    path = tmp_path / "c.npz"
    args = ["check", "Normal", "--n", "30", "--reps", "100", "--quiet", "--checkpoint",
            str(path)]
    assert cli.main(args) == 0
    first = capsys.readouterr().out
    assert path.exists()
    assert cli.main(args) == 0
    assert capsys.readouterr().out == first


@pytest.mark.parametrize("args,message", [
    (["--reps", "1"], "reps must be an integer >= 2"),
    (["--n", "1"], "n must be >= 2"),
    (["--workers", "0"], "executor must be an integer >= 1"),
    (["--theta", "0", "-1"], "sigma2 must be > 0"),
    (["--level", "2"], "level must be in (0, 1)"),
    (["--n", "ten"], "invalid int value"),
])
def test_bad_arguments_give_one_line_errors_and_exit_status_2(args, message, capsys):
    assert cli.main(["check", "Normal", "--quiet", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("fisherstat: error:") and message in err[0]


def test_unknown_model_and_missing_matplotlib_are_one_line_errors(monkeypatch, capsys):
    assert cli.main(["check", "Gauss"]) == 2
    assert "unknown model 'Gauss'" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert cli.main(["check", "Normal", "--reps", "10", "--quiet", "--plot", "x.png"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fisherstat[plot]" in err
