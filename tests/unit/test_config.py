"""archive.toml -> Config: defaults, overrides, and every problem reported at once."""

from pathlib import Path

import pytest

from generator.config import ConfigError, load_config, parse_config


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    config = load_config(root=tmp_path)
    assert config.site.per_page == 20
    assert config.sources_dir == tmp_path.resolve() / "seeds"
    assert config.theme_dirs[-1].name == "default"


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")


def test_values_and_source_hints(tmp_path: Path) -> None:
    text = """
[site]
title = "T"
per_page = 5
base_url = "https://example.org/sub"

[sources."a.txt"]
publication = "P"
tags = ["x", "y"]
split = ["Second post"]
"""
    config = parse_config(text, tmp_path / "archive.toml")
    assert config.site.title == "T" and config.site.per_page == 5
    assert config.site.base_url == "https://example.org/sub/"
    hints = config.hints_for("a.txt")
    assert hints.publication == "P" and hints.tags == ("x", "y") and hints.split == ("Second post",)
    assert config.hints_for("other.txt").publication is None


def test_every_problem_listed_with_key_and_line(tmp_path: Path) -> None:
    text = """[site]
title = 3
colour = "red"
per_page = 0

[paths]
sources = "seeds"

[bogus]
x = 1

[sources."a.txt"]
kind = "novel"
publisher = "P"
"""
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "archive.toml")
    problems = caught.value.problems
    message = str(caught.value)
    assert len(problems) == 6, problems
    assert "line 2: site.title: must be a string" in message
    assert "line 3: site.colour: unknown key" in message
    assert "line 4: site.per_page: must be between 1 and 1000" in message
    assert "line 9: bogus: unknown key" in message
    assert "sources.a.txt.kind" in message and "line 13" in message
    assert "line 14: sources.a.txt.publisher: unknown key" in message


def test_toml_syntax_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config("[site\n", tmp_path / "archive.toml")


def test_repository_config_is_valid() -> None:
    repo = Path(__file__).resolve().parents[2]
    config = load_config(repo / "archive.toml")
    assert config.site.title
