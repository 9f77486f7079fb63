//! The configured resources with the item prices entered in the web app laid over the
//! config's price lists: what slips are priced with from the moment a price is saved. A price
//! for a day the list already has replaces it; one for an item no longer configured is left
//! aside (the item cannot be issued).

use crate::config::Config;
use crate::domain::{Price, Supply};
use crate::store::{StoreError, StoreReads, SupplyPriceRecord};

pub async fn supplies_in_force(store: &dyn StoreReads, config: &Config) -> Result<Vec<Supply>, StoreError> {
    let changes = store.supply_price_changes().await?;
    Ok(with_prices(&config.supplies, &changes))
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
