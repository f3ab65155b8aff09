"""Settings: defaults, overrides, and one clear sentence for each bad value."""

from __future__ import annotations

import tomllib
from pathlib import Path

from hsinbox.config import DEFAULT_CONFIG_TOML, Settings, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    settings, problems = load_settings(tmp_path / "nope.toml")
    assert settings == Settings()
    assert problems == []


def test_default_file_is_valid_toml_and_all_defaults(tmp_path: Path) -> None:
    assert tomllib.loads(DEFAULT_CONFIG_TOML) == {}
    settings, problems = load_settings(write(tmp_path, DEFAULT_CONFIG_TOML))
    assert problems == []
    assert settings.undo_delay == 5.0


def test_values_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, 'theme = "nord"\nundo_delay = 0\n[keymap]\nreply = "ctrl+r"\n')
    settings, problems = load_settings(path)
    assert problems == []
    assert settings.theme == "nord"
    assert settings.undo_delay == 0
    assert settings.keymap == {"reply": "ctrl+r"}


def test_bad_value_names_file_line_and_key_and_keeps_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path, 'theme = "nord"\n\nstatus_after_reply = "shouted"\n')
    settings, problems = load_settings(path)
    assert settings.theme == "nord"
    assert settings.status_after_reply == "pending"
    assert len(problems) == 1
    text = str(problems[0])
    assert text.startswith(f"{path}:3: status_after_reply:")
    assert "using the default" in text


def test_bad_value_inside_a_table_names_the_dotted_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[keymap]\nreply = "  "\nnote = "n"\n')
    settings, problems = load_settings(path)
    assert settings.keymap == {"note": "n"}
    assert problems[0].key == "keymap.reply"
    assert problems[0].line == 2


def test_unknown_key_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "\n\nthem = 'nord'\n")
    settings, problems = load_settings(path)
    assert settings == Settings()
    assert str(problems[0]) == f"{path}:3: them: is not a setting hsinbox knows; ignored"


def test_broken_toml_is_one_sentence_with_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'theme = "nord"\nundo_delay = \n')
    settings, problems = load_settings(path)
    assert settings == Settings()
    assert problems[0].line == 2
    assert "is not valid TOML" in str(problems[0])
    assert "\n" not in str(problems[0])


def test_negative_delay_rejected(tmp_path: Path) -> None:
    settings, problems = load_settings(write(tmp_path, "undo_delay = -1\n"))
    assert settings.undo_delay == 5.0
    assert problems[0].line == 1
    assert "greater than or equal to 0" in problems[0].message


def test_a_huge_signature_is_refused_in_one_line(tmp_path: Path) -> None:
    big = "x" * (3 * 1024 * 1024)
    path = write(tmp_path, f'theme = "nord"\nsignature = "{big}"\n')
    settings, problems = load_settings(path)
    assert settings.signature == "" and settings.theme == "nord"
    assert [str(p) for p in problems] == [
        f"{path}:2: signature: is 3,145,728 characters, over the 10,000 a signature may have; "
        "using the default"
    ]
    ok, none = load_settings(write(tmp_path, 'signature = "-- \\nThe Support Team"\n'))
    assert none == [] and ok.signature == "-- \nThe Support Team"


def test_a_bad_saved_view_is_one_line_and_the_good_ones_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[[views]]\nname = "VIP"\nquery = "tag:vip"\n\n'
        '[[views]]\nname = "Broken"\nsort = "sideways"\nquery = "x"\n',
        encoding="utf-8",
    )
    settings, problems = load_settings(path)
    assert [v.name for v in settings.views] == ["VIP"]
    assert len(problems) == 1
    assert str(problems[0]).startswith(f"{path}:5: views[2]: sort:")
    assert "left out" in str(problems[0])
