//! The seller's costs, from a CSV keyed by part number (`part_number,cost`, a header row
//! optional), for the suggested price's floor of cost plus margin.

use crate::error::Failure;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

/// Costs by part number.
pub type Costs = HashMap<String, Decimal>;

/// Reads a cost CSV; a bad row is one sentence naming its line.
pub fn load(path: &Path) -> Result<Costs, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::usage(format!("cannot read the cost file {}: {e}", path.display()))
    })?;
    parse(&text).map_err(|e| Failure::usage(format!("cost file {}: {e}", path.display())))
}

/// Parses `part_number,cost` rows; the first row is a header when its cost is not a number.
pub fn parse(text: &str) -> Result<Costs, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut costs = Costs::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 1;
        let row = row.map_err(|e| format!("line {line}: {e}"))?;
        if row.iter().all(str::is_empty) {
            continue;
        }
        let (Some(pn), Some(cost)) = (row.get(0), row.get(1)) else {
            return Err(format!(
                "line {line} needs two columns, part_number and cost"
            ));
        };
        let cost = match Decimal::from_str(cost) {
            Ok(c) => c,
            Err(_) if i == 0 => continue,
            Err(_) => {
                return Err(format!(
                    "line {line}: \"{cost}\" is not a cost (use digits and a dot, e.g. 42.50)"
                ));
            }
        };
        if cost < Decimal::ZERO {
            return Err(format!("line {line}: the cost {cost} is negative"));
        }
        if pn.is_empty() {
            return Err(format!("line {line} has no part number"));
        }
        costs.insert(pn.to_string(), cost);
    }
    Ok(costs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_optional_and_errors_name_the_line() {
        let c = parse("part_number,cost\nAB-1, 10.50\n\nXY,3\n").unwrap();
        assert_eq!(c["AB-1"], Decimal::new(1050, 2));
        assert_eq!(c["XY"], Decimal::new(3, 0));
        assert_eq!(parse("AB,7\n").unwrap().len(), 1);
        let e = parse("AB,7\nCD,seven\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        assert!(parse("AB\n").unwrap_err().contains("two columns"));
        assert!(parse("AB,-1\n").unwrap_err().contains("negative"));
    }
}
