//! The office's other resources (stationery, toner, fuel…): configured, issued in amounts on
//! issue slips (phiếu xuất kho), each item priced from a price list that changes over time.
//! They stand beside the three metered [`super::Resource`]s, whose figures they never touch.

use jiff::civil::Date;
use serde::Serialize;

use super::{DepartmentId, ItemId, SupplyId};

/// What a configured resource's figure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    /// The items' quantities, all counted in the resource's unit (cartridges, litres).
    Quantity,
    /// The items' value in VND (stationery: pens and folders do not add up).
    Value,
}

impl Measure {
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Quantity => "quantity",
            Measure::Value => "value",
        }
    }

    pub fn parse(text: &str) -> Option<Measure> {
        [Measure::Quantity, Measure::Value].into_iter().find(|m| m.as_str() == text)
    }
}

/// A price in force from a day on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub from: Date,
    pub vnd: f64,
}

/// An item that can be issued: `Bút bi`, counted in `cái`.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplyItem {
    pub id: ItemId,
    pub name: String,
    pub unit: String,
    /// Oldest first.
    pub prices: Vec<Price>,
}

impl SupplyItem {
    /// The price in force on `day`: the latest one from that day or before.
    pub fn price_on(&self, day: Date) -> Option<f64> {
        self.prices.iter().rfind(|p| p.from <= day).map(|p| p.vnd)
    }
}

/// Whom a norm's allowance is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NormBasis {
    /// Each person of the department.
    Person,
    /// The department as a whole.
    Department,
}

impl NormBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            NormBasis::Person => "person",
            NormBasis::Department => "department",
        }
    }

    pub fn parse(text: &str) -> Option<NormBasis> {
        [NormBasis::Person, NormBasis::Department].into_iter().find(|b| b.as_str() == text)
    }
}

/// How often a norm's allowance is given; a quarter's or a year's spreads evenly over its
/// months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NormEvery {
    Month,
    Quarter,
    Year,
}

impl NormEvery {
    pub fn as_str(self) -> &'static str {
        match self {
            NormEvery::Month => "month",
            NormEvery::Quarter => "quarter",
            NormEvery::Year => "year",
        }
    }

    pub fn parse(text: &str) -> Option<NormEvery> {
        [NormEvery::Month, NormEvery::Quarter, NormEvery::Year].into_iter().find(|e| e.as_str() == text)
    }

    pub fn months(self) -> f64 {
        match self {
            NormEvery::Month => 1.0,
            NormEvery::Quarter => 3.0,
            NormEvery::Year => 12.0,
        }
    }

    pub fn vietnamese(self) -> &'static str {
        match self {
            NormEvery::Month => "tháng",
            NormEvery::Quarter => "quý",
            NormEvery::Year => "năm",
        }
    }
}

/// An allowance from the internal spending regulation (quy chế chi tiêu nội bộ), in force
/// from a day until the next revision.
#[derive(Debug, Clone, PartialEq)]
pub struct Norm {
    /// `None`: every department.
    pub department: Option<DepartmentId>,
    pub from: Date,
    pub basis: NormBasis,
    pub every: NormEvery,
    pub amount: f64,
    /// In VND (value) or in the resource's unit (quantity).
    pub measure: Measure,
    /// The regulation's number and title: `Quyết định số 15/QĐ-VP`.
    pub regulation: String,
    pub regulation_date: Date,
}

impl Norm {
    pub fn per_month(&self) -> f64 {
        self.amount / self.every.months()
    }
}

/// A configured resource issued in amounts.
#[derive(Debug, Clone, PartialEq)]
pub struct Supply {
    pub id: SupplyId,
    pub name_vi: String,
    pub name_en: String,
    /// What its figure is counted in: `đồng`, `hộp`, `lít`.
    pub unit: String,
    pub measure: Measure,
    /// kg CO2e per unit of quantity, where it applies (fuel).
    pub co2e_kg_per_unit: Option<f64>,
    pub items: Vec<SupplyItem>,
    /// Oldest first; a department's own norm wins over the office's.
    pub norms: Vec<Norm>,
}

impl Supply {
    pub fn item(&self, id: &str) -> Option<&SupplyItem> {
        self.items.iter().find(|i| i.id.as_str() == id)
    }

    /// The norm in force for `department` on `day`: its own latest, else the office's.
    pub fn norm_on(&self, department: &DepartmentId, day: Date) -> Option<&Norm> {
        let latest = |own: bool| {
            self.norms
                .iter()
                .filter(|n| n.from <= day)
                .filter(|n| if own { n.department.as_ref() == Some(department) } else { n.department.is_none() })
                .max_by_key(|n| n.from)
        };
        latest(true).or_else(|| latest(false))
    }

    /// What a line's quantity and value come to in this resource's figure.
    pub fn amount(&self, quantity: f64, value_vnd: f64) -> f64 {
        match self.measure {
            Measure::Quantity => quantity,
            Measure::Value => value_vnd,
        }
    }
}

/// One line of a slip as a person wrote it: the resource and item are checked against the
/// config when the slip is priced.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SlipLine {
    pub resource: String,
    pub item: String,
    pub quantity: f64,
}

/// An issue slip (phiếu xuất kho): several items for one department on one date.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueSlip {
    /// The slip's own number, as HC-QT wrote it: `PX-2026-001`.
    pub number: String,
    pub department: DepartmentId,
    pub date: Date,
    pub lines: Vec<SlipLine>,
}

/// A line checked and priced on the slip's date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PricedLine {
    pub resource: SupplyId,
    pub item: ItemId,
    pub quantity: f64,
    pub unit_price_vnd: f64,
    pub value_vnd: f64,
}

/// Why a slip line cannot be stored, said in Vietnamese for the person who entered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlipProblem {
    /// 1-based.
    pub line: usize,
    /// The resource or item the config does not know (the rejection's reason), or another
    /// problem with the line.
    pub unknown: bool,
    pub message: String,
}

/// More than any office issues on one line: a mistyped quantity, refused before its value
/// overflows.
const MOST_ISSUED: f64 = 1e9;

impl IssueSlip {
    /// Every line checked against the configured resources and priced on the slip's date;
    /// all problems at once, so one correction fixes the slip.
    pub fn price(&self, supplies: &[Supply]) -> Result<Vec<PricedLine>, Vec<SlipProblem>> {
        let mut priced = Vec::new();
        let mut problems = Vec::new();
        if self.lines.is_empty() {
            problems.push(SlipProblem {
                line: 0,
                unknown: false,
                message: "Phiếu không có dòng nào: thêm ít nhất một mặt hàng".into(),
            });
        }
        for (index, line) in self.lines.iter().enumerate() {
            let n = index + 1;
            let mut problem = |unknown, message: String| {
                problems.push(SlipProblem { line: n, unknown, message: format!("Dòng {n}: {message}") })
            };
            let Some(supply) = supplies.iter().find(|s| s.id.as_str() == line.resource) else {
                let known: Vec<&str> = supplies.iter().map(|s| s.id.as_str()).collect();
                problem(
                    true,
                    format!(
                        "không có nguồn lực \"{}\" trong cấu hình; dùng một trong: {}",
                        line.resource,
                        known.join(", ")
                    ),
                );
                continue;
            };
            let Some(item) = supply.item(&line.item) else {
                let known: Vec<&str> = supply.items.iter().map(|i| i.id.as_str()).collect();
                problem(
                    true,
                    format!(
                        "không có mặt hàng \"{}\" trong \"{}\"; dùng một trong: {}",
                        line.item,
                        supply.name_vi,
                        known.join(", ")
                    ),
                );
                continue;
            };
            if !line.quantity.is_finite() || line.quantity <= 0.0 || line.quantity > MOST_ISSUED {
                problem(
                    false,
                    format!("số lượng {} không hợp lệ: ghi một số lớn hơn 0 (tối đa 1.000.000.000)", line.quantity),
                );
                continue;
            }
            let Some(unit_price) = item.price_on(self.date) else {
                problem(
                    false,
                    format!(
                        "\"{}\" chưa có giá vào ngày {:02}/{:02}/{}: thêm giá vào bảng giá",
                        item.name,
                        self.date.day(),
                        self.date.month(),
                        self.date.year()
                    ),
                );
                continue;
            };
            priced.push(PricedLine {
                resource: supply.id.clone(),
                item: item.id.clone(),
                quantity: line.quantity,
                unit_price_vnd: unit_price,
                value_vnd: line.quantity * unit_price,
            });
        }
        if problems.is_empty() { Ok(priced) } else { Err(problems) }
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn stationery() -> Supply {
        Supply {
            id: "van-phong-pham".parse().unwrap(),
            name_vi: "Văn phòng phẩm".into(),
            name_en: "Stationery".into(),
            unit: "đồng".into(),
            measure: Measure::Value,
            co2e_kg_per_unit: None,
            items: vec![SupplyItem {
                id: "but-bi".parse().unwrap(),
                name: "Bút bi".into(),
                unit: "cái".into(),
                prices: vec![
                    Price { from: date(2026, 1, 1), vnd: 3500.0 },
                    Price { from: date(2026, 7, 1), vnd: 4000.0 },
                ],
            }],
            norms: Vec::new(),
        }
    }

    fn slip(day: Date, lines: Vec<SlipLine>) -> IssueSlip {
        IssueSlip { number: "PX-1".into(), department: "phong-a".parse().unwrap(), date: day, lines }
    }

    fn line(resource: &str, item: &str, quantity: f64) -> SlipLine {
        SlipLine { resource: resource.into(), item: item.into(), quantity }
    }

    #[test]
    fn an_item_is_priced_with_the_price_in_force_on_the_slips_date() {
        let supplies = [stationery()];
        let june = slip(date(2026, 6, 30), vec![line("van-phong-pham", "but-bi", 10.0)]).price(&supplies).unwrap();
        assert_eq!(june[0].value_vnd, 35_000.0);
        let july = slip(date(2026, 7, 1), vec![line("van-phong-pham", "but-bi", 10.0)]).price(&supplies).unwrap();
        assert_eq!(july[0].unit_price_vnd, 4000.0);
        let before = slip(date(2025, 12, 31), vec![line("van-phong-pham", "but-bi", 1.0)]).price(&supplies);
        assert!(before.unwrap_err()[0].message.contains("chưa có giá vào ngày 31/12/2025"));
    }

    #[test]
    fn every_unknown_resource_or_item_is_named_in_vietnamese() {
        let supplies = [stationery()];
        let problems = slip(
            date(2026, 3, 2),
            vec![line("van-phong-pham", "but-bi", 1.0), line("muc-in", "x", 1.0), line("van-phong-pham", "ghim", 2.0)],
        )
        .price(&supplies)
        .unwrap_err();
        assert_eq!(problems.len(), 2);
        assert!(problems.iter().all(|p| p.unknown));
        assert_eq!(
            problems[0].message,
            "Dòng 2: không có nguồn lực \"muc-in\" trong cấu hình; dùng một trong: van-phong-pham"
        );
        assert_eq!(
            problems[1].message,
            "Dòng 3: không có mặt hàng \"ghim\" trong \"Văn phòng phẩm\"; dùng một trong: but-bi"
        );
    }
}
