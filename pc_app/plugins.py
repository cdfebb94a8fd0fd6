"""Find, check, order and register the feature plugins for one app.

A plugin is a module of ``@hookimpl`` functions published under the ``pc_app.plugins``
entry-point group; its package declares ``NAME``, ``__version__`` and ``REQUIRES``.
Installed is not enabled: ``PC_PLUGINS`` names the ones to load (default: all installed).
"""
from __future__ import annotations

import importlib
import re
import sys
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import ModuleType

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from ._version import __version__ as core_version
from . import hookspecs

ENTRY_POINT_GROUP = "pc_app.plugins"


class PluginError(RuntimeError):
    """A plugin cannot be loaded; the message names the plugin and the reason."""


@dataclass
class PluginInfo:
    """What the core knows about one loaded plugin."""
    name: str
    version: str
    requires: dict[str, str]
    module: ModuleType
    blueprints: list[str] = field(default_factory=list)
    # Its settings must start with one of these: NAME in capitals, plus SETTING_PREFIXES if declared.
    setting_prefixes: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "requires": dict(self.requires),
                "blueprints": list(self.blueprints)}


def discover() -> dict[str, str]:
    """Map entry-point name to its module path for every installed plugin."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _metadata_holder(module: ModuleType) -> ModuleType:
    """NAME/__version__/REQUIRES live on the plugin module or, usually, on its package."""
    if hasattr(module, "NAME"):
        return module
    package = sys.modules.get(module.__package__ or "")
    return package if package is not None else module


def _load(name: str, target: str) -> PluginInfo:
    try:
        module = importlib.import_module(target)
    except Exception as exc:  # the whole point is to turn any import failure into one sentence
        raise PluginError(f"Plugin '{name}' could not be imported from {target}: "
                          f"{_one_line(exc).rstrip('.')}.") from exc
    meta = _metadata_holder(module)
    missing = [attr for attr in ("NAME", "__version__", "REQUIRES") if not hasattr(meta, attr)]
    if missing:
        raise PluginError(f"Plugin '{name}' does not declare {', '.join(missing)}.")
    if meta.NAME != name:
        raise PluginError(f"Plugin '{name}' declares NAME={meta.NAME!r}; the entry point must use the same name.")
    if not isinstance(meta.REQUIRES, dict):
        raise PluginError(f"Plugin '{name}' declares REQUIRES as {type(meta.REQUIRES).__name__}; "
                          f"it must be a dict like {{\"pc_app\": \">=1,<2\"}}.")
    try:
        Version(meta.__version__)
    except Exception:
        raise PluginError(f"Plugin '{name}' has an invalid version {meta.__version__!r}.") from None
    prefixes = (re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_", *getattr(meta, "SETTING_PREFIXES", ()))
    return PluginInfo(name=name, version=meta.__version__, requires=dict(meta.REQUIRES), module=module,
                      setting_prefixes=prefixes)


def _check_requirements(plugins: dict[str, PluginInfo]) -> None:
    versions = {"pc_app": core_version, **{p.name: p.version for p in plugins.values()}}
    for plugin in plugins.values():
        for dep, spec in plugin.requires.items():
            if dep not in versions:
                raise PluginError(f"Plugin '{plugin.name}' requires '{dep}', which is not installed or not enabled.")
            try:
                specifier = SpecifierSet(spec)
            except InvalidSpecifier:
                raise PluginError(f"Plugin '{plugin.name}' has an invalid requirement {dep}{spec!r}.") from None
            if Version(versions[dep]) not in specifier:
                raise PluginError(
                    f"Plugin '{plugin.name}' requires {dep}{spec}, but {dep} {versions[dep]} is installed.")


def order_by_dependency(plugins: dict[str, PluginInfo]) -> list[PluginInfo]:
    """Dependencies first; ties keep alphabetical order so start-up is deterministic."""
    ordered: list[PluginInfo] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = " -> ".join(path[path.index(name):] + [name])
            raise PluginError(f"Plugin '{name}' is part of a dependency cycle: {cycle}.")
        state[name] = "visiting"
        for dep in sorted(plugins[name].requires):
            if dep in plugins:
                visit(dep, path + [name])
        state[name] = "done"
        ordered.append(plugins[name])

    for name in sorted(plugins):
        visit(name, [])
    return ordered


def build_plugin_manager(enabled: list[str] | None, extra: dict[str, str] | None = None
                         ) -> tuple[pluggy.PluginManager, list[PluginInfo]]:
    """Load the enabled plugins, check them and register them with a new manager.

    :param enabled: plugin names to load; empty or None means every installed plugin.
    :param extra: more ``name -> module path`` pairs (tests use it for throwaway plugins).
    """
    available = discover()
    available.update(extra or {})
    names = list(enabled) if enabled else sorted(available)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise PluginError(f"Plugin '{unknown[0]}' is enabled in PC_PLUGINS but not installed.")
    plugins = {name: _load(name, available[name]) for name in names}
    _check_requirements(plugins)
    ordered = order_by_dependency(plugins)

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    # Historic: each plugin's pc_add_hookspecs runs as it is registered, dependencies first,
    # so a plugin's hooks exist before the plugins that require it implement them.
    pm.hook.pc_add_hookspecs.call_historic(kwargs={"pm": pm})
    for info in ordered:
        _check_hooks(pm, info, unknown_ok=True)  # a plugin's own hooks appear as it registers
        try:
            pm.register(info.module, name=info.name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"Plugin '{info.name}' has an invalid hook: {_one_line(exc)}") from exc
    for info in ordered:
        _check_hooks(pm, info)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        culprit = next((i.name for i in ordered if i.module is exc.plugin), "unknown")
        raise PluginError(f"Plugin '{culprit}' implements a hook nobody offers: {_one_line(exc)}") from exc
    return pm, ordered


def plugin_settings(pm: pluggy.PluginManager, infos: list[PluginInfo]) -> dict:
    """Every enabled plugin's declared settings; a clash or a missing prefix stops start-up."""
    from .config import gather_plugin_settings

    prefixes = {info.name: info.setting_prefixes for info in infos}
    return gather_plugin_settings([(name, prefixes.get(name) or (name.upper() + "_",), declared)
                                   for name, declared in call_hook(pm, "pc_config_defaults")])


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _spec_arguments(pm: pluggy.PluginManager) -> dict[str, tuple[str, ...]]:
    """Every hook known to ``pm`` (the core's and those plugins added) with the arguments it passes."""
    specs = {}
    for name in dir(pm.hook):
        caller = getattr(pm.hook, name, None)
        spec = getattr(caller, "spec", None)
        if name.startswith("pc_") and spec is not None:
            specs[name] = tuple(spec.argnames)
    return specs


def _check_hooks(pm: pluggy.PluginManager, info: PluginInfo, unknown_ok: bool = False) -> None:
    """Name a misspelled hook or an argument the hook never passes, in one sentence.

    A hook another plugin owns may be implemented with ``@hookimpl(optionalhook=True)`` by a
    plugin that does not require that plugin: it is simply not called when the owner is off.
    """
    import difflib
    import inspect

    specs = _spec_arguments(pm)
    marker = f"{hookspecs.PROJECT}_impl"
    for attr, func in sorted(vars(info.module).items()):
        options = getattr(func, marker, None) if inspect.isfunction(func) else None
        if options is None:
            continue
        if attr not in specs:
            if options.get("optionalhook") or unknown_ok:
                continue
            close = difflib.get_close_matches(attr, specs, n=1)
            hint = (f"; did you mean '{close[0]}'?" if close else
                    "; see docs/hooks.md for the hooks there are (a plugin's own hooks need that plugin "
                    "in REQUIRES, or optionalhook=True).")
            raise PluginError(f"Plugin '{info.name}' implements '{attr}', which is not a hook the core or its "
                              f"required plugins offer{hint}")
        extra = [arg for arg in inspect.signature(func).parameters if arg not in specs[attr]]
        if extra:
            raise PluginError(f"Plugin '{info.name}' implements '{attr}' with argument(s) {', '.join(extra)} "
                              f"that the hook does not pass (it passes {', '.join(specs[attr]) or 'nothing'}).")


def each_impl(pm: pluggy.PluginManager, hook_name: str):
    """Yield ``(plugin_name, call)`` for every implementation of a hook, dependencies first.

    Plugins were registered in dependency order, so a plugin's implementation runs after those
    of the plugins it requires (``tryfirst``/``trylast`` implementations go first/last).
    Unlike ``pm.hook.X(...)`` this tells which plugin answered what, and lets the caller
    isolate one plugin's failure from the others. ``call(**kwargs)`` passes each
    implementation only the arguments it accepts.
    """
    caller = getattr(pm.hook, hook_name, None)
    if caller is None:  # a plugin-owned hook whose owner is not enabled
        return
    impls = caller.get_hookimpls()  # registration order
    ordered = ([i for i in impls if i.tryfirst] + [i for i in impls if not (i.tryfirst or i.trylast)]
               + [i for i in impls if i.trylast])
    for impl in ordered:
        def call(_impl=impl, **kwargs):
            return _impl.function(**{name: kwargs[name] for name in _impl.argnames})
        yield impl.plugin_name, call


def call_hook(pm: pluggy.PluginManager, hook_name: str, **kwargs) -> list[tuple[str, object]]:
    """Call a hook: ``(plugin_name, result)`` of every implementation, dependencies first.

    The one way the core and plugins call hooks, so every hook runs in the same documented
    order. An exception propagates; use ``each_impl`` to isolate failures.
    """
    return [(name, call(**kwargs)) for name, call in each_impl(pm, hook_name)]
