//! Every checker rule with its severity, scope and explanation (the same text as `agentwire rules`
//! and docs/rules.md); a rule id anywhere on the page opens this at that rule.

use agentwire::Rule;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::format;

/// Properties of [`RulesDialog`].
#[derive(Properties, PartialEq)]
pub struct RulesDialogProps {
    /// The rule to bring into view.
    pub rule: Option<Rule>,
    /// Close the dialog.
    pub on_close: Callback<()>,
}

/// See the [module documentation](self).
#[function_component(RulesDialog)]
pub fn rules_dialog(props: &RulesDialogProps) -> Html {
    use_effect_with(props.rule, |rule| {
        if let Some(rule) = rule {
            if let Some(element) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&format!("rule-{}", rule.id())))
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
            {
                element.scroll_into_view();
            }
        }
    });
    let close = props.on_close.reform(|_: MouseEvent| ());
    let rules = Rule::ALL.iter().map(|rule| {
        let class = classes!("rule-doc", (props.rule == Some(*rule)).then_some("sel"));
        html! {
            <article {class} id={format!("rule-{}", rule.id())}>
                <h3>
                    <code>{ rule.id() }</code>
                    <span class={classes!("sev-badge", format::severity(rule.severity()))}>{ format::severity(rule.severity()) }</span>
                    <span class="muted small rule-scope" title="Where its flags sit: on a run's timeline, or on the connection">{ format!("per {}", rule.scope().as_str()) }</span>
                </h3>
                <p>{ rule.description() }</p>
            </article>
        }
    });
    html! {
        <div class="overlay" onclick={close.clone()}>
            <section class="dialog" role="dialog" aria-label="Checker rules" onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <header>
                    <h2>{ "Checker rules" }</h2>
                    <button class="icon" title="Close (Esc)" onclick={close}>{ "×" }</button>
                </header>
                <p class="muted">{ "Rule ids are stable: CI scripts and `agentwire check --json` use them." }</p>
                <div class="rule-docs">{ for rules }</div>
            </section>
        </div>
    }
}
