//! The configured resources with the item prices and norms entered in the web app laid over
//! the config's: what slips are priced with and use is compared with from the moment one is
//! saved. A price for a day the list already has replaces it, as does a norm for the same
//! departments and day; one for an item or resource no longer configured is left aside.

use crate::config::Config;
use crate::domain::{Price, Supply};
use crate::store::{StoreError, StoreReads, SupplyNormRecord, SupplyPriceRecord};

pub async fn supplies_in_force(store: &dyn StoreReads, config: &Config) -> Result<Vec<Supply>, StoreError> {
    let prices = store.supply_price_changes().await?;
    let norms = store.supply_norm_changes().await?;
    Ok(with_norms(with_prices(&config.supplies, &prices), &norms))
}

pub fn with_norms(mut supplies: Vec<Supply>, changes: &[SupplyNormRecord]) -> Vec<Supply> {
    for change in changes {
        if let Some(supply) = supplies.iter_mut().find(|s| s.id == change.resource) {
            let norm = &change.norm;
            supply.norms.retain(|n| !(n.department == norm.department && n.from == norm.from));
            supply.norms.push(norm.clone());
            supply.norms.sort_by_key(|n| n.from);
        }
    }
    supplies
}

pub fn with_prices(supplies: &[Supply], changes: &[SupplyPriceRecord]) -> Vec<Supply> {
    let mut supplies = supplies.to_vec();
    for change in changes {
        let item = supplies
            .iter_mut()
            .find(|s| s.id == change.resource)
            .and_then(|s| s.items.iter_mut().find(|i| i.id == change.item));
        if let Some(item) = item {
            item.prices.retain(|p| p.from != change.price.from);
            item.prices.push(Price { from: change.price.from, vnd: change.price.vnd });
            item.prices.sort_by_key(|p| p.from);
        }
    }
    supplies
}
