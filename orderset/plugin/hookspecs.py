# A hookspec is a signature with a docstring: pluggy never calls its body, so the typed return
# of each spec documents what implementations return, and mypy's empty-body check (a function
# declared to return a list that returns nothing) does not apply to this module.
# mypy: disable-error-code="empty-body"
"""The plugin API: every hook a rule plugin can implement.

Built-in plugins (`orderset.plugins.*`) and third-party plugins (entry-point group
`orderset`) implement the same hooks and are loaded the same way. Every hook collects results
from all plugins; none is first-result, so two plugins proposing the same drug is a conflict
the engine reports, never a tie that registration order settles.

The host calls each plugin's implementation itself, one plugin at a time and in load order, so
pluggy's ordering options (`tryfirst`, `trylast`, `wrapper`, `hookwrapper`) would mean nothing:
an implementation that asks for one is refused when the plugin is registered, naming it.
Plugins import everything they need from `orderset.plugin`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from orderset.context import BuildContext
    from orderset.formulary import Product
    from orderset.model import Alert, Order
    from orderset.renderers import Renderer
    from orderset.rules import Rule
    from orderset.settings import Setting, Settings

hookspec = pluggy.HookspecMarker("orderset")
hookimpl = pluggy.HookimplMarker("orderset")


@hookspec
def orderset_rules() -> list[Rule]:
    """Describe the clinical rules this plugin implements.

    :return: one `Rule` (id, title, evidence grade) per rule of `clinical-rules.md` the plugin
        encodes. The README's rule table and the sheet's rule list are generated from these.
        Return an empty list (or implement nothing) when the plugin encodes no rule.
    """


@hookspec
def orderset_settings() -> list[Setting]:
    """Declare the institution-profile settings this plugin reads.

    :return: `Setting` objects (section, key, type, default, bounds). A profile key that no
        plugin declared is an input error, so a typo in a profile is never ignored.
    """


@hookspec
def orderset_formulary(settings: Settings) -> list[Product]:
    """Contribute formulary products (strength, concentration, rounding increment, ...).

    :param settings: the validated profile settings, for products whose details are set there.
    :return: products keyed by `Product.key`. A product from a third-party plugin replaces a
        built-in product with the same key (that is how a site swaps its IVIG brand); the
        profile's `[formulary.KEY]` tables then override single fields.
    """


@hookspec
def orderset_orders(context: BuildContext) -> list[Order]:
    """Propose the orders this plugin's rules give for the case.

    :param context: the validated case, settings, formulary and ANE severity score.
    :return: `Order` objects, selected (pre-checked) or offered. Return an empty list when no
        rule applies. The engine stamps each order with the plugin's name and version, checks
        its units and caps, applies allergies and profile selection, and fails the build naming
        the plugin if the hook raises or returns anything but orders.
    """


@hookspec
def orderset_alerts(context: BuildContext, orders: tuple[Order, ...]) -> list[Alert]:
    """Raise alerts for the sheet's alert box, after all orders are known.

    :param context: as for `orderset_orders`.
    :param orders: every order of the set, from all plugins, after allergy removal.
    :return: `Alert` objects; an empty list when there is nothing to say.
    """


@hookspec
def orderset_renderers() -> list[Renderer]:
    """Add output formats (as datasette's `register_output_renderer`).

    :return: `orderset.plugin.Renderer` objects, each a format name, media type, file
        extension and a `render(order_set) -> bytes` function. A renderer only renders: it
        prints what the `OrderSet` holds and never derives a dose, alert or window of its own.
        A name that is already a format (json, hl7, html, pdf, or another plugin's) is an
        error. Return an empty list when the plugin adds no format.
    """
