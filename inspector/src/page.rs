//! What the page itself shows around the state: the selected user, frame and flag, the frames a
//! flag highlights, the rules dialog, the drop hint and the notice. Plain data changed only by
//! [`Page::apply`] with a [`PageAction`] (a reducer, as in Yew's todomvc), so the page's
//! behaviour is tested natively; `App` only dispatches.

use std::collections::BTreeSet;
use std::rc::Rc;

use agentwire::Rule;

use crate::state::FlagId;

/// The page's own state. See the [module documentation](self).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    /// The user whose runs are shown (`None`: the first lane).
    pub selected_user: Option<String>,
    /// The stream row (by sequence number) whose detail is open.
    pub selected_frame: Option<u64>,
    /// The flag selected in the flags list.
    pub selected_flag: Option<FlagId>,
    /// The rows the selected flag names.
    pub highlighted: Rc<BTreeSet<u64>>,
    /// The row the stream should scroll to.
    pub scroll_to: Option<u64>,
    /// The rules dialog, when open: at a rule, or at the top.
    pub rules: Option<Option<Rule>>,
    /// Whether files are being dragged over the page.
    pub dragging: bool,
    /// The message at the top of the page (an import's outcome, a connection error).
    pub notice: Option<String>,
}

/// Something that changes the [`Page`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum PageAction {
    /// Show this user's runs.
    SelectUser(String),
    /// Open this row's detail and scroll to it.
    SelectFrame(u64),
    /// Select a flag: highlight the rows it names, open and scroll to the first.
    SelectFlag {
        /// The flag.
        id: FlagId,
        /// The rows it names.
        rows: BTreeSet<u64>,
    },
    /// Escape: close the rules dialog when it is open, else the selection.
    Close,
    /// Open the rules dialog, at a rule or at the top.
    OpenRules(Option<Rule>),
    /// Close the rules dialog.
    CloseRules,
    /// Files are dragged over the page (`true`) or left or were dropped (`false`).
    Dragging(bool),
    /// Say this at the top of the page.
    Notify(String),
    /// Dismiss the notice.
    Dismiss,
}

impl Page {
    /// Applies one action.
    pub fn apply(&mut self, action: PageAction) {
        match action {
            PageAction::SelectUser(user) => self.selected_user = Some(user),
            PageAction::SelectFrame(seq) => {
                self.selected_frame = Some(seq);
                self.scroll_to = Some(seq);
            }
            PageAction::SelectFlag { id, rows } => {
                if let Some(first) = rows.first() {
                    self.selected_frame = Some(*first);
                    self.scroll_to = Some(*first);
                }
                self.highlighted = Rc::new(rows);
                self.selected_flag = Some(id);
            }
            PageAction::Close if self.rules.is_some() => self.rules = None,
            PageAction::Close => {
                self.selected_frame = None;
                self.selected_flag = None;
                self.highlighted = Rc::default();
            }
            PageAction::OpenRules(rule) => self.rules = Some(rule),
            PageAction::CloseRules => self.rules = None,
            PageAction::Dragging(dragging) => self.dragging = dragging,
            PageAction::Notify(text) => self.notice = Some(text),
            PageAction::Dismiss => self.notice = None,
        }
    }
}

#[cfg(target_arch = "wasm32")]
impl yew::Reducible for Page {
    type Action = PageAction;

    fn reduce(self: Rc<Self>, action: PageAction) -> Rc<Self> {
        let mut page = Rc::unwrap_or_clone(self);
        page.apply(action);
        Rc::new(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(actions: impl IntoIterator<Item = PageAction>) -> Page {
        let mut page = Page::default();
        for action in actions {
            page.apply(action);
        }
        page
    }

    #[test]
    fn selecting_a_flag_highlights_its_rows_and_opens_the_first() {
        let page =
            applied([PageAction::SelectFlag { id: FlagId(7), rows: BTreeSet::from([12, 4, 9]) }]);
        assert_eq!(page.selected_flag, Some(FlagId(7)));
        assert_eq!((page.selected_frame, page.scroll_to), (Some(4), Some(4)));
        assert_eq!(*page.highlighted, BTreeSet::from([4, 9, 12]));
    }

    #[test]
    fn a_flag_naming_no_kept_row_keeps_the_open_detail() {
        let page = applied([
            PageAction::SelectFrame(3),
            PageAction::SelectFlag { id: FlagId(1), rows: BTreeSet::new() },
        ]);
        assert_eq!((page.selected_frame, page.selected_flag), (Some(3), Some(FlagId(1))));
    }

    #[test]
    fn escape_closes_the_rules_dialog_first_then_the_selection() {
        let mut page = applied([
            PageAction::SelectFlag { id: FlagId(2), rows: BTreeSet::from([5]) },
            PageAction::OpenRules(Some(Rule::SlowGap)),
        ]);
        page.apply(PageAction::Close);
        assert_eq!(page.rules, None);
        assert_eq!(page.selected_flag, Some(FlagId(2)), "the selection stays");
        page.apply(PageAction::Close);
        assert_eq!((page.selected_frame, page.selected_flag), (None, None));
        assert!(page.highlighted.is_empty());
        assert_eq!(page.scroll_to, Some(5), "the stream stays where it was");
    }

    #[test]
    fn notices_and_the_drop_hint_come_and_go() {
        let mut page = applied([PageAction::Dragging(true), PageAction::Notify("Imported".into())]);
        assert!(page.dragging);
        assert_eq!(page.notice.as_deref(), Some("Imported"));
        page.apply(PageAction::Dragging(false));
        page.apply(PageAction::Dismiss);
        assert_eq!(page, Page::default());
    }
}
