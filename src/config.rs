//! Configuration: command-line flags, `STRATA_*` environment variables and an optional TOML
//! file, in that order of precedence, over defaults that run out of the box
//! (127.0.0.1:9000, `./data`, three AZs, us-east-1).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Deserialize;

use crate::chunk::{AzConfig, ChunkConfig};

#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, env = "STRATA_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Data directory: AZ directories, metadata and root credentials.
    #[arg(long, env = "STRATA_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Region this server answers for.
    #[arg(long, env = "STRATA_REGION")]
    pub region: Option<String>,
    /// Domain for virtual-hosted-style requests (`<bucket>.<domain>`). The website endpoint
    /// (`<bucket>.s3-website.<domain>`) uses `localhost` when this is not set.
    #[arg(long, env = "STRATA_DOMAIN")]
    pub domain: Option<String>,
    /// A second listener for the static website endpoint only, where a Host equal to a bucket
    /// name serves that bucket's site (for a CNAME pointing at this server).
    #[arg(long, env = "STRATA_WEBSITE_LISTEN")]
    pub website_listen: Option<SocketAddr>,
    /// PEM certificate chain: serve HTTPS instead of HTTP.
    #[arg(long, env = "STRATA_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "STRATA_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Number of simulated availability zones (directories az-a, az-b, ... under the data dir).
    #[arg(long, env = "STRATA_AZS")]
    pub azs: Option<usize>,
    /// Objects up to this many bytes are stored inside the metadata record.
    #[arg(long, env = "STRATA_INLINE_THRESHOLD")]
    pub inline_threshold: Option<usize>,
    /// Load storage classes from this directory instead of the built-in `storage-classes/`.
    #[arg(long, env = "STRATA_STORAGE_CLASSES")]
    pub storage_classes: Option<PathBuf>,
    /// What new buckets get when CreateBucket does not say: `legacy` (ACLs enabled,
    /// ObjectWriter, no public access block: AWS before April 2023) or `aws` (AWS's current
    /// defaults: BucketOwnerEnforced and all four public access blocks on).
    #[arg(long, env = "STRATA_BUCKET_DEFAULTS", value_enum)]
    pub bucket_defaults: Option<BucketDefaults>,
    /// The length of a lifecycle day in seconds (fractions allowed, at least 0.001): lifecycle
    /// rules' days, minimum storage durations, restore days and restore latencies all count in
    /// it (tests and demos shorten it).
    #[arg(long, env = "STRATA_LIFECYCLE_DAY_SECONDS")]
    pub lifecycle_day_seconds: Option<f64>,
    /// A file holding the master key (32 bytes: raw, base64 or hex). Default: the key in the
    /// environment variable STRATA_MASTER_KEY, else `<data-dir>/server.key`, generated on the
    /// first start.
    #[arg(long, env = "STRATA_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Store objects written without encryption headers, in buckets without a default
    /// encryption configuration, as sent. Without this flag they are encrypted with SSE-S3, as
    /// AWS does since January 2023.
    #[arg(long, env = "STRATA_NO_DEFAULT_ENCRYPTION")]
    pub no_default_encryption: bool,
    /// Optional TOML file with the same settings (snake_case keys).
    #[arg(long, env = "STRATA_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    region: Option<String>,
    domain: Option<String>,
    website_listen: Option<SocketAddr>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    azs: Option<usize>,
    inline_threshold: Option<usize>,
    storage_classes: Option<PathBuf>,
    bucket_defaults: Option<BucketDefaults>,
    lifecycle_day_seconds: Option<f64>,
    master_key_file: Option<PathBuf>,
    no_default_encryption: Option<bool>,
    /// The AZs with their drive directories (`[[az]]` tables), instead of `azs` default ones.
    az: Option<Vec<ZoneFile>>,
}

/// One `[[az]]` table of the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneFile {
    name: String,
    /// The hot pool's directories.
    drives: Vec<PathBuf>,
    /// The archive pool's directories (cheaper media); archive classes use the hot drives of
    /// an AZ that has none.
    #[serde(default)]
    archive_drives: Vec<PathBuf>,
}

/// The access settings a new bucket gets when CreateBucket does not choose them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BucketDefaults {
    /// AWS before April 2023: ACLs enabled (ObjectWriter), no public access block, so tools
    /// that set ACLs keep working.
    #[default]
    Legacy,
    /// AWS today: BucketOwnerEnforced (ACLs disabled) and all four public access blocks on.
    Aws,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub region: String,
    pub domain: Option<String>,
    /// The website-only listener (`--website-listen`).
    pub website_listen: Option<SocketAddr>,
    pub tls: Option<(PathBuf, PathBuf)>,
    pub azs: usize,
    pub inline_threshold: usize,
    pub storage_classes: Option<PathBuf>,
    pub bucket_defaults: BucketDefaults,
    pub lifecycle_day_seconds: f64,
    /// `--master-key-file` (STRATA_MASTER_KEY, read where the key is loaded, wins over it).
    pub master_key_file: Option<PathBuf>,
    /// Whether writes without encryption headers, to buckets without a default encryption
    /// configuration, get SSE-S3 (AWS's behaviour; `--no-default-encryption` turns it off).
    pub default_encryption: bool,
    /// Where the chunk store keeps shards: `azs` default AZ directories under the data
    /// directory, or the file's `[[az]]` tables.
    pub chunk: ChunkConfig,
}

impl Config {
    pub fn resolve(args: ServeArgs) -> Result<Config, String> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let tls = match (
            args.tls_cert.or(file.tls_cert),
            args.tls_key.or(file.tls_key),
        ) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => return Err("tls_cert and tls_key go together".into()),
        };
        let data_dir = args
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./data"));
        let chunk = match (&file.az, args.azs.or(file.azs)) {
            (Some(_), Some(_)) => return Err("azs and [[az]] tables cannot both be given".into()),
            (Some(zones), None) => ChunkConfig {
                root: data_dir.clone(),
                azs: zones
                    .iter()
                    .map(|zone| AzConfig {
                        name: zone.name.clone(),
                        drives: zone.drives.clone(),
                        archive_drives: zone.archive_drives.clone(),
                    })
                    .collect(),
            },
            (None, azs) => {
                let azs = azs.unwrap_or(3);
                if !(1..=26).contains(&azs) {
                    return Err(format!("azs must be between 1 and 26, not {azs}"));
                }
                ChunkConfig::with_default_azs(&data_dir, azs)
            }
        };
        Ok(Config {
            listen: args
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9000))),
            data_dir,
            region: args
                .region
                .or(file.region)
                .unwrap_or_else(|| "us-east-1".to_string()),
            domain: args.domain.or(file.domain),
            website_listen: args.website_listen.or(file.website_listen),
            tls,
            azs: chunk.azs.len(),
            inline_threshold: args
                .inline_threshold
                .or(file.inline_threshold)
                .unwrap_or(crate::store::DEFAULT_INLINE_THRESHOLD),
            storage_classes: args.storage_classes.or(file.storage_classes),
            bucket_defaults: args
                .bucket_defaults
                .or(file.bucket_defaults)
                .unwrap_or_default(),
            lifecycle_day_seconds: match args.lifecycle_day_seconds.or(file.lifecycle_day_seconds) {
                Some(seconds) if !(0.001..=1e9).contains(&seconds) => {
                    return Err(format!(
                        "lifecycle_day_seconds must be between 0.001 and 1e9, not {seconds}"
                    ));
                }
                Some(seconds) => seconds,
                None => 86_400.0,
            },
            master_key_file: args.master_key_file.or(file.master_key_file),
            default_encryption: !(args.no_default_encryption
                || file.no_default_encryption.unwrap_or(false)),
            chunk,
        })
    }
}

fn read_file(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_run_out_of_the_box() {
        let config = Config::resolve(ServeArgs::default()).expect("defaults");
        assert_eq!(config.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(config.data_dir, PathBuf::from("./data"));
        assert_eq!(config.azs, 3);
        assert_eq!(config.region, "us-east-1");
        assert_eq!(config.bucket_defaults, BucketDefaults::Legacy);
    }

    #[test]
    fn bucket_defaults_come_from_the_file_or_the_flag() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("strata.toml");
        std::fs::write(&path, "bucket_defaults = \"aws\"\n").expect("write");
        let from_file = ServeArgs {
            config: Some(path.clone()),
            ..ServeArgs::default()
        };
        assert_eq!(
            Config::resolve(from_file).expect("config").bucket_defaults,
            BucketDefaults::Aws
        );
        let flag = ServeArgs {
            config: Some(path),
            bucket_defaults: Some(BucketDefaults::Legacy),
            ..ServeArgs::default()
        };
        assert_eq!(
            Config::resolve(flag).expect("config").bucket_defaults,
            BucketDefaults::Legacy
        );
    }

    #[test]
    fn flags_override_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("strata.toml");
        std::fs::write(&path, "region = \"eu-west-1\"\nazs = 4\n").expect("write");
        let args = ServeArgs {
            config: Some(path),
            azs: Some(5),
            ..ServeArgs::default()
        };
        let config = Config::resolve(args).expect("config");
        assert_eq!(config.region, "eu-west-1");
        assert_eq!(config.azs, 5);
    }

    #[test]
    fn az_tables_give_each_zone_its_hot_and_archive_drives() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("strata.toml");
        let text = "[[az]]\nname = \"east\"\ndrives = [\"/ssd/e\"]\narchive_drives = [\"/hdd/e1\", \"/hdd/e2\"]\n\
                    [[az]]\nname = \"west\"\ndrives = [\"/ssd/w\"]\n";
        std::fs::write(&path, text).expect("write");
        let config = Config::resolve(ServeArgs {
            config: Some(path.clone()),
            ..ServeArgs::default()
        })
        .expect("config");
        assert_eq!(config.azs, 2);
        assert_eq!(config.chunk.azs[0].name, "east");
        assert_eq!(
            config.chunk.azs[0].archive_drives,
            [PathBuf::from("/hdd/e1"), PathBuf::from("/hdd/e2")]
        );
        assert_eq!(config.chunk.azs[1].drives, [PathBuf::from("/ssd/w")]);
        assert!(config.chunk.azs[1].archive_drives.is_empty());
        // A count of default AZs as well is a contradiction, refused.
        let both = ServeArgs {
            config: Some(path),
            azs: Some(3),
            ..ServeArgs::default()
        };
        assert!(Config::resolve(both).is_err());
    }
}
