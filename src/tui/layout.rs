//! Where things sit on the screen, in one place: the views draw into these areas and `update()`
//! scrolls by the rows they give, so what is drawn and what is scrolled cannot disagree.

use ratatui::layout::{Constraint, Layout, Rect};

/// Below this nothing useful fits; the screen says so.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;
/// The full layout (with the summary cards) from this size; below it a reduced one.
pub const FULL_WIDTH: u16 = 80;
pub const FULL_HEIGHT: u16 = 24;
/// The account cards under the header, on a full-size screen.
const CARDS: u16 = 4;
/// A bordered table's frame and header row.
const TABLE_CHROME: u16 = 3;

/// True when the screen gets the reduced layout (no summary cards, short tab labels): an SSH
/// user in a split tmux pane still sees every tab.
pub fn reduced(width: u16, height: u16) -> bool {
    width < FULL_WIDTH || height < FULL_HEIGHT
}

/// The screen's bands, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    pub header: Rect,
    /// Empty on the reduced layout.
    pub cards: Rect,
    pub tabs: Rect,
    /// The open tab.
    pub body: Rect,
    pub status: Rect,
}

impl Screen {
    pub fn new(area: Rect) -> Screen {
        let small = reduced(area.width, area.height);
        let [header, cards, tabs, body, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(if small { 0 } else { CARDS }),
            Constraint::Length(1),
            Constraint::Min(5),
            Constraint::Length(1),
        ])
        .areas(area);
        Screen {
            header,
            cards,
            tabs,
            body,
            status,
        }
    }

    /// The bands of a terminal of `(width, height)`.
    pub fn of_size((width, height): (u16, u16)) -> Screen {
        Screen::new(Rect::new(0, 0, width, height))
    }
}

/// Products and History: a line of filters and counts over the table.
pub fn bar_over_table(body: Rect) -> [Rect; 2] {
    Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(body)
}

/// Changes: the bar, the table, and eMAG's answer to the selected edit under it.
pub fn changes(body: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(body)
}

/// Buy button: the bar, the table, and the selected offer's lines under it.
pub fn buybox(body: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(4),
    ])
    .areas(body)
}

/// Sync: the accounts box over the log pane. The box holds its frame, a header, a row per
/// account, the selected run's details and its error line if it has one, within half the body.
pub fn sync(body: Rect, accounts: usize, error_line: bool) -> [Rect; 2] {
    let top = (accounts as u16 + 4 + u16::from(error_line))
        .min(body.height / 2)
        .max(5);
    Layout::vertical([Constraint::Length(top), Constraint::Min(3)]).areas(body)
}

/// The lines the Sync tab's log pane shows inside its frame on a terminal of `size` (its
/// scrolling is clamped to them).
pub fn log_rows(size: (u16, u16), accounts: usize, error_line: bool) -> usize {
    let [_, log] = sync(Screen::of_size(size).body, accounts, error_line);
    log.height.saturating_sub(2) as usize
}

/// The body rows a bordered table with a header row shows in `table`.
pub fn table_rows(table: Rect) -> usize {
    table.height.saturating_sub(TABLE_CHROME).max(1) as usize
}

/// The rows of the products table on a terminal of `size` (`update()` keeps the cursor in them).
pub fn products_rows(size: (u16, u16)) -> usize {
    table_rows(bar_over_table(Screen::of_size(size).body)[1])
}

/// What a half-page motion counts half of: the body less a table's frame and header.
pub fn page_rows(size: (u16, u16)) -> usize {
    (Screen::of_size(size)
        .body
        .height
        .saturating_sub(TABLE_CHROME) as usize)
        .max(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_fill_the_screen_and_the_cards_go_on_a_small_one() {
        for (size, cards) in [((120, 40), 4), ((80, 24), 4), ((79, 24), 0), ((100, 23), 0)] {
            let s = Screen::of_size(size);
            assert_eq!(s.cards.height, cards, "{size:?}");
            let total = s.header.height + s.cards.height + s.tabs.height + s.body.height;
            assert_eq!(total + s.status.height, size.1, "{size:?}");
            assert_eq!(s.status.y, size.1 - 1, "{size:?}");
        }
    }

    #[test]
    fn table_rows_follow_the_bands() {
        // 40 rows: header, cards (4), tabs, status leave 33; the bar 1, the frame and header 3.
        assert_eq!(products_rows((120, 40)), 29);
        // The reduced layout has no cards.
        assert_eq!(products_rows((60, 20)), 13);
        assert_eq!(table_rows(changes(Screen::of_size((120, 40)).body)[1]), 28);
        assert_eq!(table_rows(Rect::new(0, 0, 10, 2)), 1);
        assert_eq!(page_rows((120, 40)), 30);
        // Two accounts, no error: the box is 6 rows, the log 27 less its frame.
        assert_eq!(log_rows((120, 40), 2, false), 25);
        assert_eq!(log_rows((120, 40), 2, true), 24);
    }
}
