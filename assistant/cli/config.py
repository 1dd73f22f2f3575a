"""``guidance config show``: the effective settings, each with its environment variable and description."""

from __future__ import annotations

import click

from .common import echo_json, load_settings


@click.group("config")
def config_group() -> None:
    """Inspect settings (set them with GUIDANCE_* environment variables)."""


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@click.pass_context
def config_show(ctx: click.Context, as_json: bool) -> None:
    """Print the effective settings, with the environment variable for each."""
    settings = load_settings(ctx)
    data = settings.model_dump(mode="json")
    if as_json:
        echo_json(data)
        return
    for section, fields in data.items():
        model = getattr(settings, section)
        for name, value in fields.items():
            info = type(model).model_fields[name]
            env = f"GUIDANCE_{section.upper()}__{name.upper()}"
            click.echo(f"{section}.{name} = {value!r}\n    {env}: {info.description}")
    click.echo(f"(index folder: {settings.paths.index_dir}; settings hash {settings.settings_hash()})")
