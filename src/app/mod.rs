//! The one entry point shared by `main` and the tests: build every part from a config, run
//! until asked to stop, stop cleanly.

mod backup_schedule;
pub mod fd_limit;
mod report_schedule;
mod retention;
mod setup;

pub use report_schedule::Clock;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::alerts::Alerts;
use crate::alerts::dispatch::Dispatcher;
use crate::alerts::mqtt::{BrokerAddress, Publisher};
use crate::auth::{Auth, AuthError};
use crate::config::{Broker, Config, ConfigError, EmbeddedBroker, WebLimits};
use crate::ingest::mqtt::tls::MqttTlsError;
use crate::ingest::mqtt::{self, IngestStatus};
use crate::ingest::{ConfigInForce, Pipeline, announce, broker};
use crate::notify;
use crate::store::announcements::AnnouncementShelf;
use crate::store::{self, Accounts, AlertBook, BackupStatus, ReportShelf, StoreError, StoreReads};
use crate::web::Dashboards;
use crate::web::{self, AppState, BrokerInfo};
use setup::{live_calendar, live_setup};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Broker(#[from] broker::BrokerError),
    #[error(transparent)]
    MqttTls(#[from] MqttTlsError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A dashboard page file is wrong: the message names the file, the key and the fix.
    #[error(transparent)]
    Dashboards(#[from] ConfigError),
    /// The meters kept in the store no longer fit the config (a department removed from it).
    #[error("{0}")]
    Setup(ConfigError),
    #[error("the web server cannot listen on {addr}: {reason}; set web.listen (or XANH_WEB_LISTEN) to a free address")]
    WebBind { addr: SocketAddr, reason: String },
    #[error("the metrics server cannot listen on {addr}: {reason}; set metrics.listen to a free address")]
    MetricsBind { addr: SocketAddr, reason: String },
}

/// Asks a running [`Application`] to stop; cheap to clone.
#[derive(Clone)]
pub struct Shutdown(Arc<watch::Sender<bool>>);

impl Shutdown {
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }
}

pub struct Application {
    listener: TcpListener,
    web_limits: WebLimits,
    web_addr: SocketAddr,
    /// `metrics.listen`'s listener and the address it got.
    metrics: Option<(TcpListener, SocketAddr)>,
    mqtt_addr: (String, u16),
    state: AppState,
    ingest: JoinHandle<()>,
    /// Keeps the devices' announcements in the store; its last change is kept at shutdown.
    announcements: JoinHandle<()>,
    /// The InfluxDB backend's outbox drainer.
    drainer: Option<JoinHandle<()>>,
    shutdown: Shutdown,
}

impl Application {
    /// Start the broker (if embedded), open the store, start ingesting and bind the web port;
    /// alert notifications leave through the e-mail and webhooks of `[notify]`.
    pub async fn build(config: Config) -> Result<Application, StartError> {
        let channels = notify::channels(&config.notify, &config.source)?;
        Self::build_with_channels(config, channels).await
    }

    /// As [`Application::build`], with the channels alert notifications leave through (the
    /// queued ones wait in the store until a channel accepts their address).
    pub async fn build_with_channels(
        config: Config,
        channels: Vec<Box<dyn notify::Channel>>,
    ) -> Result<Application, StartError> {
        Self::build_with_channels_and_clock(config, channels, Arc::new(jiff::Timestamp::now)).await
    }

    /// As [`Application::build`], with the clock the report schedule reads the office's
    /// date from (a test's, to make a month's report without waiting for the month to end).
    pub async fn build_with_clock(config: Config, clock: Clock) -> Result<Application, StartError> {
        let channels = notify::channels(&config.notify, &config.source)?;
        Self::build_with_channels_and_clock(config, channels, clock).await
    }

    async fn build_with_channels_and_clock(
        mut config: Config,
        channels: Vec<Box<dyn notify::Channel>>,
        clock: Clock,
    ) -> Result<Application, StartError> {
        let fd_limit = fd_limit::raise();
        let web_limits = web_limits(config.web_limits, fd_limit);
        // Checked before anything starts, so a wrong page file stops nothing half-started.
        let dashboards = Arc::new(Dashboards::load(config.web_dashboards.as_deref())?);
        let store::OpenStore { store, outbox } = store::open(&config)?;
        tracing::info!("store open: {}", config.store);
        let pipeline = Pipeline::new(&[], config.ingest, config.office.timezone.clone());
        let mut setup_differences = live_setup(&mut config, store.as_ref(), &pipeline).await?;
        // Devices' announcements heard before the restart, before any new one is heard.
        let announcement_shelf = Arc::new(AnnouncementShelf::open(config.store.embedded_path())?);
        pipeline.announcements().restore(announcement_shelf.all()?);
        let config = Arc::new(config);
        // Every reader of the meters from here on sees the table ingest reads, and the
        // calendar's years kept in the store.
        let config_in_force = ConfigInForce::new(Arc::clone(&config), pipeline.clone());
        setup_differences.extend(live_calendar(&config, store.as_ref(), &config_in_force).await?);
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let shared_group = match &config.mqtt.broker {
            Broker::External(external) => external.shared_group.clone(),
            Broker::Embedded(_) => None,
        };
        let status = Arc::new(match &shared_group {
            Some(group) => IngestStatus::with_peers(group.peer_topic()),
            None => IngestStatus::default(),
        });
        let alerts_client_id = format!("{}-alerts", config.mqtt.client_id);
        let (host, port, own_clients, ingest) = match &config.mqtt.broker {
            Broker::Embedded(embedded) => {
                // The broker's gate stores what devices publish: Xanh needs no client of its own.
                let ingest = broker::Ingest {
                    pipeline: pipeline.clone(),
                    store: Arc::clone(&store),
                    status: Arc::clone(&status),
                    batch_size: config.ingest.batch_size,
                    shutdown: shutdown_rx.clone(),
                };
                let embedded = &broker_limits(embedded, fd_limit);
                let own_ids = [config.mqtt.client_id.clone(), alerts_client_id.clone()];
                let started = broker::start(embedded, &config.source, &own_ids, ingest)?;
                log_embedded_broker(embedded, &started);
                let addr = started.addr;
                let host = if addr.ip().is_unspecified() { "127.0.0.1".to_owned() } else { addr.ip().to_string() };
                (host, addr.port(), Some(started.own_clients), started.done)
            }
            Broker::External(external) => {
                let tls = external.tls.as_ref().map(|t| mqtt::tls::client_config(t, &config.source)).transpose()?;
                let (host, port) = (external.host.clone(), external.port);
                let ingest = mqtt::spawn(
                    mqtt::Connection { host: host.clone(), port, settings: config.mqtt.clone(), tls, shared_group },
                    pipeline.clone(),
                    Arc::clone(&store),
                    config.ingest.batch_size,
                    Arc::clone(&status),
                    shutdown_rx.clone(),
                );
                (host, port, None, ingest)
            }
        };
        let announcements =
            tokio::spawn(announce::keep_in_store(pipeline.announcements(), announcement_shelf, shutdown_rx.clone()));
        let embedded = own_clients.is_some();
        let accounts = Accounts::open(config.store.embedded_path())?;
        let auth = Arc::new(Auth::new(accounts, config.web_access.session_ttl));
        let book = Arc::new(AlertBook::open(config.store.embedded_path())?);
        let outbox_status = outbox.as_ref().map(|(status, _)| Arc::clone(status));
        let alerts = Arc::new(Alerts::new(
            config_in_force.clone(),
            Arc::clone(&store) as Arc<dyn StoreReads>,
            Arc::clone(&book),
            Arc::clone(&status),
            outbox_status,
        )?);
        tokio::spawn(Arc::clone(&alerts).run(shutdown_rx.clone()));
        let dispatcher = Dispatcher::new(Arc::clone(&book), channels, config.alerts.retry_after);
        tokio::spawn(dispatcher.run(shutdown_rx.clone()));
        // On the embedded broker the publisher goes past the gate with this run's secret (the
        // gate would ask a configured client's login); on an external one it logs in as Xanh.
        let alert_broker = match own_clients {
            Some(own) => BrokerAddress {
                host: own.addr.ip().to_string(),
                port: own.addr.port(),
                client_id: alerts_client_id,
                credentials: Some((config.mqtt.client_id.clone(), own.password)),
                tls: None,
            },
            None => BrokerAddress {
                host: host.clone(),
                port,
                client_id: alerts_client_id,
                credentials: config
                    .mqtt
                    .username
                    .clone()
                    .map(|u| (u, config.mqtt.password.clone().unwrap_or_default())),
                tls: match &config.mqtt.broker {
                    Broker::External(external) => {
                        external.tls.as_ref().map(|t| mqtt::tls::client_config(t, &config.source)).transpose()?
                    }
                    Broker::Embedded(_) => None,
                },
            },
        };
        tokio::spawn(
            Publisher::new(Arc::clone(&book), alert_broker, config.office.timezone.clone()).run(shutdown_rx.clone()),
        );
        let report_shelf = Arc::new(ReportShelf::open(config.store.embedded_path())?);
        if config.reports.scheduled {
            let schedule = report_schedule::ReportSchedule {
                config: config_in_force.clone(),
                store: Arc::clone(&store) as Arc<dyn StoreReads>,
                shelf: Arc::clone(&report_shelf),
                book: Arc::clone(&book),
                clock,
            };
            tokio::spawn(schedule.run(shutdown_rx.clone()));
        }
        let listener = TcpListener::bind(config.web_listen)
            .await
            .map_err(|e| StartError::WebBind { addr: config.web_listen, reason: e.to_string() })?;
        let web_addr = listener
            .local_addr()
            .map_err(|e| StartError::WebBind { addr: config.web_listen, reason: e.to_string() })?;
        let metrics = match config.metrics_listen {
            Some(addr) => {
                let bind_error = |e: std::io::Error| StartError::MetricsBind { addr, reason: e.to_string() };
                let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
                let bound = listener.local_addr().map_err(bind_error)?;
                Some((listener, bound))
            }
            None => None,
        };
        let backups = Arc::new(BackupStatus::default());
        if let Some(backup) = config.backup.clone() {
            let store = config.store.embedded_path().to_owned();
            let (tz, status) = (config.office.timezone.clone(), Arc::clone(&backups));
            tokio::spawn(backup_schedule::run(backup, store, tz, status, shutdown_rx.clone()));
        }
        if let Some(keep) = config.keep_raw_readings {
            tokio::spawn(retention::run(Arc::clone(&store), keep, shutdown_rx.clone()));
        }
        let (outbox, drainer) = match outbox {
            Some((status, drainer)) => (Some(status), Some(tokio::spawn(drainer.run(shutdown_rx)))),
            None => (None, None),
        };
        let state = AppState {
            config_in_force,
            dashboards,
            store: Arc::clone(&store) as Arc<dyn StoreReads>,
            writes: web::auth::Writes::new(store),
            ingest: status,
            outbox,
            backups,
            broker: BrokerInfo { embedded, address: format!("{host}:{port}") },
            http: Arc::default(),
            pipeline,
            auth,
            alerts,
            report_shelf,
            setup_differences: Arc::new(setup_differences),
        };
        Ok(Application {
            listener,
            web_limits,
            web_addr,
            metrics,
            mqtt_addr: (host, port),
            state,
            ingest,
            announcements,
            drainer,
            shutdown: Shutdown(Arc::new(shutdown_tx)),
        })
    }

    pub fn web_addr(&self) -> SocketAddr {
        self.web_addr
    }

    /// Where `/metrics` is served without credentials, when `metrics.listen` asks for it.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(_, addr)| *addr)
    }

    /// The broker the ingestor reads from: the embedded one's real port when it asked for 0.
    pub fn mqtt_addr(&self) -> (String, u16) {
        self.mqtt_addr.clone()
    }

    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Users, sessions and tokens, for the command line and the tests.
    pub fn auth(&self) -> Arc<Auth> {
        Arc::clone(&self.state.auth)
    }

    /// With no user yet, log a one-time link to the page that creates the first admin.
    pub async fn announce_setup(&self) -> Result<(), AuthError> {
        if let Some(secret) = self.state.auth.setup_secret().await? {
            tracing::warn!(
                "no user can sign in yet: open http://{}/setup?token={secret} to create the first admin \
                 (the link works once, until the service restarts), or run `xanh user add --admin NAME`",
                self.web_addr
            );
        }
        Ok(())
    }

    /// Serve until [`Shutdown::trigger`]: then stop taking messages, finish the batch being
    /// stored, acknowledge it, and return.
    pub async fn run(self) -> Result<(), StartError> {
        let metrics = self.metrics.map(|(listener, _)| {
            let router = web::metrics_router(self.state.clone());
            tokio::spawn(web::serve(listener, router, self.web_limits, self.shutdown.0.subscribe()))
        });
        let router = web::router(self.state);
        web::serve(self.listener, router, self.web_limits, self.shutdown.0.subscribe()).await;
        if let Some(metrics) = metrics {
            let _ = metrics.await;
        }
        // The web server returns once asked to stop; ingest gets a while to commit and ack.
        if tokio::time::timeout(Duration::from_secs(15), self.ingest).await.is_err() {
            tracing::warn!("ingest did not finish within 15 s; unacknowledged messages will be delivered again");
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), self.announcements).await;
        // The drainer stops at once; what it had not sent stays in the outbox.
        if let Some(drainer) = self.drainer {
            let _ = tokio::time::timeout(Duration::from_secs(5), drainer).await;
        }
        Ok(())
    }
}

/// The web server's limits, its connection cap lowered if the open-file limit leaves it less.
fn web_limits(configured: WebLimits, fd_limit: fd_limit::FdLimit) -> WebLimits {
    let share = fd_limit.share();
    if configured.max_connections > share {
        tracing::warn!(
            configured = configured.max_connections,
            used = share,
            open_files = fd_limit.soft,
            "web.max_connections lowered to half of what the open-file limit leaves (raise LimitNOFILE to serve more)"
        );
    }
    let max_connections = configured.max_connections.min(share);
    let max_connections_per_address = configured.max_connections_per_address.min(max_connections);
    tracing::info!(
        max_connections,
        max_connections_per_address,
        header_timeout_s = configured.header_timeout.as_secs(),
        body_timeout_s = configured.body_timeout.as_secs(),
        "web connection limits"
    );
    WebLimits { max_connections, max_connections_per_address, ..configured }
}

/// The embedded broker's settings, its connection cap lowered if the open-file limit leaves it
/// less: each device connection holds three descriptors (the device's socket, the gate's
/// socket to rumqttd and rumqttd's end of it).
fn broker_limits(configured: &EmbeddedBroker, fd_limit: fd_limit::FdLimit) -> EmbeddedBroker {
    let share = (fd_limit.share() / broker::DESCRIPTORS_PER_CONNECTION).max(1);
    if configured.max_connections > share {
        tracing::warn!(
            configured = configured.max_connections,
            used = share,
            open_files = fd_limit.soft,
            "mqtt.max_connections lowered to what the open-file limit leaves the broker (raise LimitNOFILE to connect more)"
        );
    }
    let max_connections = configured.max_connections.min(share);
    let max_connections_per_address = configured.max_connections_per_address.min(max_connections);
    EmbeddedBroker { max_connections, max_connections_per_address, ..configured.clone() }
}

/// Say who may use the embedded broker, so that an open one is never a surprise.
fn log_embedded_broker(embedded: &EmbeddedBroker, started: &broker::Started) {
    let addr = started.addr;
    let tls = started.tls_addr.map(|a| a.to_string()).unwrap_or_else(|| "off".into());
    if !embedded.clients.is_empty() {
        tracing::info!(%addr, %tls, clients = embedded.clients.len(), "embedded MQTT broker listening: clients log in with their password and publish only on their topics");
    } else if addr.ip().is_loopback() && started.tls_addr.is_none_or(|a| a.ip().is_loopback()) {
        tracing::info!(%addr, %tls, "embedded MQTT broker listening on this machine only, open to any client without a password (add [[mqtt.clients]] before opening it to the network)");
    } else {
        tracing::warn!(%addr, %tls, "embedded MQTT broker listening OPEN to the network (allow_anonymous = true): anyone who reaches it can publish readings");
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Under the usual systemd limit of 1 024 open files, the web server and the broker
    /// together stay below it: 1 024 − 256 kept for the store and the log, half each.
    #[test]
    fn the_connection_caps_fit_the_open_file_limit_together() {
        let configured_web = WebLimits {
            max_connections: 512,
            max_connections_per_address: 128,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
        };
        let configured_broker = EmbeddedBroker {
            listen: "127.0.0.1:1883".parse().unwrap(),
            clients: Vec::new(),
            tls: None,
            max_connections: 200,
            max_connections_per_address: 20,
            connect_timeout: Duration::from_secs(10),
        };
        let systemd = fd_limit::FdLimit { soft: 1024, was: 1024 };
        let web = web_limits(configured_web, systemd);
        let broker = broker_limits(&configured_broker, systemd);
        assert_eq!(web.max_connections, 384);
        assert_eq!(broker.max_connections, 128);
        assert_eq!(broker.max_connections_per_address, 20);
        let descriptors = web.max_connections + broker.max_connections * broker::DESCRIPTORS_PER_CONNECTION;
        assert!(descriptors + fd_limit::RESERVED as usize <= 1024, "{descriptors} client descriptors");

        let roomy = fd_limit::FdLimit { soft: 65_536, was: 1024 };
        assert_eq!(broker_limits(&configured_broker, roomy), configured_broker, "a roomy limit keeps the config");
    }
}
