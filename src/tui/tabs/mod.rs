//! Each tab's state and how it changes, one file per tab, free of the rest of the dashboard:
//! `app/` wires them into `update()` (keys, effects, toasts), `views/` draws them.

pub mod buybox;
pub mod changes;
pub mod connections;
pub mod history;
pub mod products;
pub mod sync;

/// The value after (`forward`) or before `current` in `all`, wrapping around: a form's next
/// field, a toggle's next choice.
pub fn step<T: Copy + PartialEq>(all: &[T], current: T, forward: bool) -> T {
    let n = all.len();
    let i = all.iter().position(|v| *v == current).unwrap_or(0);
    all[if forward {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    }]
}

/// A form's fields, in the order the form shows them: the next one and a field's line.
pub trait FormField: Copy + PartialEq + 'static {
    const FIELDS: &'static [Self];

    /// The field below (`forward`) or above, wrapping around.
    fn next(self, forward: bool) -> Self {
        step(Self::FIELDS, self, forward)
    }

    /// Its line in the form, from 0.
    fn row(self) -> u16 {
        Self::FIELDS.iter().position(|f| *f == self).unwrap_or(0) as u16
    }
}
