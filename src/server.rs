//! Start-up, listeners and shutdown.
//!
//! `run` opens the data dir (AZ drives, sled metadata, root credentials), recovers from a
//! previous crash (temp files, orphan blobs) before the first request, starts the background
//! workers, and serves HTTP/1.1 (on the API listener and, with `--website-listen`, a website-only
//! one) — over TLS when a certificate is configured — until SIGINT or
//! SIGTERM. Workers stop on the same signal.

use std::sync::Arc;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::chunk::ChunkStore;
use crate::classes::StorageClasses;
use crate::config::Config;
use crate::crypto::master_key::MasterKey;
use crate::http::{AppState, ClientAddr, WebsiteListener, router};
use crate::iam::seal::Sealer;
use crate::iam::{CredentialSource, Identities, RootCredentials};
use crate::lifecycle::LifecycleWorker;
use crate::meta::Meta;
use crate::meta::sled_backend::SledBackend;
use crate::store::Store;
use crate::store::gc::{GcWorker, HealWorker};

pub async fn run(config: Config) -> Result<(), String> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("{}: {e}", config.data_dir.display()))?;
    let classes = match &config.storage_classes {
        Some(dir) => StorageClasses::load_dir(dir, config.azs)?,
        None => StorageClasses::embedded(config.azs)?,
    };
    let chunk = ChunkStore::open(config.chunk.clone()).map_err(|e| format!("chunk store: {e}"))?;
    let meta = Meta::new(Arc::new(
        SledBackend::open(&config.data_dir.join("meta")).map_err(|e| format!("metadata: {e}"))?,
    ));
    // Before anything else touches the data: a wrong or missing key stops the start here.
    // The environment variable is read here, not by clap, so the key never shows in --help.
    let master_key = MasterKey::open_for(
        &meta,
        &config.data_dir,
        std::env::var("STRATA_MASTER_KEY").ok().as_deref(),
        config.master_key_file.as_deref(),
    )?;
    tracing::info!(source = %master_key.source(), "master key loaded");
    let kms = Arc::new(crate::kms::Kms::open(
        meta.clone(),
        &master_key,
        &config.region,
    ));
    let store = Arc::new(
        Store::new(
            meta,
            chunk.clone(),
            Arc::new(classes),
            config.inline_threshold,
        )
        .with_lifecycle_day_seconds(config.lifecycle_day_seconds)
        .with_master_key(&master_key)
        .with_kms(kms.clone()),
    );
    store
        .recover()
        .await
        .map_err(|e| format!("recovery: {e}"))?;
    store
        .recount_usage_if_missing()
        .await
        .map_err(|e| format!("version accounting: {e}"))?;

    let env_credentials = match (
        std::env::var("STRATA_ROOT_ACCESS_KEY"),
        std::env::var("STRATA_ROOT_SECRET_KEY"),
    ) {
        (Ok(access), Ok(secret)) => Some((access, secret)),
        _ => None,
    };
    let (root, source) = RootCredentials::load_or_create(&config.data_dir, env_credentials)?;
    match source {
        CredentialSource::Generated(path) => println!(
            "Generated root credentials (saved to {}, shown only this once):\n  AWS_ACCESS_KEY_ID={}\n  AWS_SECRET_ACCESS_KEY={}",
            path.display(),
            root.access_key,
            root.secret_key
        ),
        CredentialSource::File(path) => println!(
            "Root credentials: access key {} (from {})",
            root.access_key,
            path.display()
        ),
        CredentialSource::Environment => {
            println!(
                "Root credentials: access key {} (from STRATA_ROOT_ACCESS_KEY)",
                root.access_key
            )
        }
    }

    let tls = match &config.tls {
        Some((cert, key)) => Some(tls_acceptor(cert, key)?),
        None => None,
    };
    let lifecycle = Arc::new(LifecycleWorker::new(store.clone()));
    let state = Arc::new(AppState {
        store: store.clone(),
        identities: Identities::open(
            root,
            store.meta.clone(),
            Sealer::from_key(master_key.bytes()),
        )?,
        bucket_policies: Default::default(),
        bucket_cors: Default::default(),
        bucket_websites: Default::default(),
        bucket_lifecycles: Default::default(),
        bucket_encryption: Default::default(),
        bucket_object_lock: Default::default(),
        lifecycle: lifecycle.clone(),
        region: config.region.clone(),
        domain: config.domain.clone(),
        secure: tls.is_some(),
        bucket_defaults: config.bucket_defaults,
        kms,
        default_encryption: config.default_encryption,
    });

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let mut workers = Vec::new();
    workers.push(tokio::spawn(
        GcWorker {
            store: store.clone(),
        }
        .run(shutdown_rx.clone()),
    ));
    workers.push(tokio::spawn(lifecycle.clone().run(shutdown_rx.clone())));
    if let Some(damaged) = chunk.take_damage_receiver() {
        workers.push(tokio::spawn(
            HealWorker {
                store: store.clone(),
                damaged,
            }
            .run(shutdown_rx.clone()),
        ));
    }

    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("listen on {}: {e}", config.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    // Tests and scripts read this line to learn the port when --listen used port 0.
    println!("strata listening on {scheme}://{local}");
    tracing::info!(%local, data_dir = %config.data_dir.display(), azs = config.azs, "serving");

    let website_listener = match config.website_listen {
        Some(addr) => {
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|e| format!("website listen on {addr}: {e}"))?;
            let local = listener.local_addr().map_err(|e| e.to_string())?;
            println!("strata website endpoint on {scheme}://{local}");
            Some(listener)
        }
        None => None,
    };

    let app = router(state);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown_signal = std::pin::pin!(shutdown_signal());
    loop {
        let (accepted, website) = tokio::select! {
            accepted = listener.accept() => (accepted, false),
            accepted = accept_website(website_listener.as_ref()) => (accepted, true),
            _ = &mut shutdown_signal => break,
        };
        let (stream, peer) = match accepted {
            Ok(conn) => conn,
            Err(err) => {
                tracing::warn!(%err, "accept failed");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone().map_request(
            move |mut request: http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ClientAddr(peer));
                if website {
                    request.extensions_mut().insert(WebsiteListener);
                }
                request
            },
        ));
        let mut builder = http1::Builder::new();
        builder
            .keep_alive(true)
            .timer(TokioTimer::new())
            .header_read_timeout(std::time::Duration::from_secs(60));
        match &tls {
            None => {
                let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    if let Err(err) = conn.await {
                        tracing::debug!(%err, "connection ended with an error");
                    }
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let stream = match acceptor.accept(stream).await {
                        Ok(stream) => stream,
                        Err(err) => {
                            tracing::debug!(%err, "TLS handshake failed");
                            return;
                        }
                    };
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    if let Err(err) = watcher.watch(conn).await {
                        tracing::debug!(%err, "connection ended with an error");
                    }
                });
            }
        }
    }
    tracing::info!("shutting down: waiting for open connections");
    let _ = shutdown_tx.send(true);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(std::time::Duration::from_secs(30)) => tracing::warn!("connections still open after 30 s; closing"),
    }
    for worker in workers {
        let _ = worker.await;
    }
    Ok(())
}

/// The next connection of the website listener; never, when there is none.
async fn accept_website(
    listener: Option<&TcpListener>,
) -> std::io::Result<(tokio::net::TcpStream, std::net::SocketAddr)> {
    match listener {
        Some(listener) => listener.accept().await,
        None => std::future::pending().await,
    }
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<tokio_rustls::TlsAcceptor, String> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let certs = rustls_pemfile::certs(&mut read(cert)?.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    let key = rustls_pemfile::private_key(&mut read(key)?.as_slice())
        .map_err(|e| format!("{}: {e}", key.display()))?
        .ok_or_else(|| format!("{}: no private key found", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("TLS certificate: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}
