//! `strata admin`: accounts and IAM users, keys and policies from the command line, for people
//! without the aws CLI. It is a client of the server's own IAM Query API (`iam::api`): every
//! command is one or more SigV4-signed `POST /` form requests for service `iam`, so it manages
//! a running server, locally or remotely, with exactly the rules the API applies.
//!
//! Credentials: `--access-key`/`--secret-key`, else `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`,
//! else the server root's `<data-dir>/root-credentials.toml`. A refused request prints the IAM
//! error code and message on stderr and exits with 1.

mod client;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use percent_encoding::percent_decode_str;

use self::client::Client;
use crate::s3::xml::Element;

#[derive(Args, Debug)]
pub struct AdminArgs {
    /// The server's endpoint.
    #[arg(long, default_value = "http://127.0.0.1:9000", env = "STRATA_ENDPOINT")]
    pub endpoint: String,
    /// Access key to sign with (default: AWS_ACCESS_KEY_ID, then the data dir's root key).
    #[arg(long, requires = "secret_key")]
    pub access_key: Option<String>,
    #[arg(long, requires = "access_key")]
    pub secret_key: Option<String>,
    /// Where to find root-credentials.toml when no key is given.
    #[arg(long, default_value = "./data")]
    pub data_dir: PathBuf,
    /// Region to sign for (the server accepts its own and us-east-1).
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// PEM file of the CA to trust for an https endpoint (default: the system's bundle).
    #[arg(long)]
    pub ca_bundle: Option<PathBuf>,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Accounts (the server's root account only).
    #[command(subcommand)]
    Account(AccountCommand),
    /// IAM users of the caller's account.
    #[command(subcommand)]
    User(UserCommand),
    /// Access keys of a user (or, without --user, of the caller).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Inline policies of a user.
    #[command(subcommand)]
    UserPolicy(UserPolicyCommand),
    /// Usage and cost per bucket and storage class (the server's root account only): objects,
    /// logical, billable and on-disk bytes, restores, and the month's storage cost.
    Usage {
        /// One bucket instead of all.
        #[arg(long)]
        bucket: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The lifecycle engine (the server's root account only).
    #[command(subcommand)]
    Lifecycle(LifecycleCommand),
    /// Any IAM action, printing the XML answer: `strata admin iam CreateGroup GroupName=devs`.
    Iam {
        action: String,
        /// `Name=Value` parameters.
        params: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum LifecycleCommand {
    /// Carry out everything due now (expirations, transitions, restores, aborts) and print
    /// how many due entries were handled, as JSON.
    Run,
}

#[derive(Subcommand, Debug)]
pub enum AccountCommand {
    /// Create an account; prints its root keys once, as JSON.
    Create {
        name: String,
        #[arg(long)]
        email: Option<String>,
    },
    /// List the accounts.
    List,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    Create {
        name: String,
        #[arg(long)]
        path: Option<String>,
    },
    Delete {
        name: String,
    },
    List,
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Create a key; prints it (with its secret, shown once) as JSON.
    Create {
        #[arg(long)]
        user: Option<String>,
    },
    List {
        #[arg(long)]
        user: Option<String>,
    },
    Delete {
        access_key_id: String,
        #[arg(long)]
        user: Option<String>,
    },
    Deactivate {
        access_key_id: String,
        #[arg(long)]
        user: Option<String>,
    },
    Activate {
        access_key_id: String,
        #[arg(long)]
        user: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserPolicyCommand {
    /// Set an inline policy from a file (`-`: standard input).
    Put {
        user: String,
        policy_name: String,
        file: String,
    },
    /// Print an inline policy's document.
    Get {
        user: String,
        policy_name: String,
    },
    Delete {
        user: String,
        policy_name: String,
    },
    List {
        user: String,
    },
}

/// Runs one admin command to completion.
pub fn run(args: AdminArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("strata admin: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Iam { code, message }) => {
            eprintln!("strata admin: {code}: {message}");
            ExitCode::FAILURE
        }
        Err(Failure::Other(message)) => {
            eprintln!("strata admin: {message}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Debug)]
pub(crate) enum Failure {
    /// The server refused: its IAM error code and message.
    Iam {
        code: String,
        message: String,
    },
    Other(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Other(message)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Failure::Other(message.to_string())
    }
}

async fn execute(args: AdminArgs) -> Result<(), Failure> {
    let client = Client::new(&args)?;
    match args.command {
        AdminCommand::Iam { action, params } => {
            let mut all = vec![("Action".to_string(), action)];
            for param in params {
                let (name, value) = param
                    .split_once('=')
                    .ok_or_else(|| format!("parameters are Name=Value, not {param:?}"))?;
                all.push((name.to_string(), value.to_string()));
            }
            println!("{}", client.call_raw(&all).await?);
        }
        AdminCommand::Account(AccountCommand::Create { name, email }) => {
            let params = request_with(
                "CreateAccount",
                &[("AccountName", &name)],
                &[("Email", &email)],
            );
            let result = client.call(&params).await?;
            let account = result.child("Account").ok_or("no Account in the answer")?;
            let field = |name: &str| account.child_text(name).unwrap_or_default().to_string();
            print_json(&NewAccount {
                account_id: field("AccountId"),
                canonical_user_id: field("CanonicalUserId"),
                account_name: field("AccountName"),
                access_key_id: field("AccessKeyId"),
                secret_access_key: field("SecretAccessKey"),
            })?;
        }
        AdminCommand::Usage { bucket, json } => {
            let params = request_with("GetUsageReport", &[], &[("Bucket", &bucket)]);
            let result = client.call(&params).await?;
            usage_report(&result, json)?;
        }
        AdminCommand::Lifecycle(LifecycleCommand::Run) => {
            let result = client.call(&request("RunLifecycle", &[])).await?;
            let handled: u64 = result
                .child_text("Handled")
                .and_then(|n| n.parse().ok())
                .ok_or("no Handled count in the answer")?;
            print_json(&serde_json::json!({ "handled": handled }))?;
        }
        AdminCommand::Account(AccountCommand::List) => {
            for member in client
                .list(&request("ListAccounts", &[]), "Accounts")
                .await?
            {
                print_row(&member, &["AccountId", "AccountName", "CanonicalUserId"]);
            }
        }
        AdminCommand::User(UserCommand::Create { name, path }) => {
            let params = request_with("CreateUser", &[("UserName", &name)], &[("Path", &path)]);
            let result = client.call(&params).await?;
            let user = result.child("User").ok_or("no User in the answer")?;
            print_row(user, &["UserName", "UserId", "Arn"]);
        }
        AdminCommand::User(UserCommand::Delete { name }) => {
            client
                .call(&request("DeleteUser", &[("UserName", &name)]))
                .await?;
        }
        AdminCommand::User(UserCommand::List) => {
            for user in client.list(&request("ListUsers", &[]), "Users").await? {
                print_row(&user, &["UserName", "Arn", "CreateDate"]);
            }
        }
        AdminCommand::Key(command) => key_command(&client, command).await?,
        AdminCommand::UserPolicy(command) => user_policy_command(&client, command).await?,
    }
    Ok(())
}

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct NewAccount {
    account_id: String,
    canonical_user_id: String,
    account_name: String,
    access_key_id: String,
    secret_access_key: String,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct NewKey {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<String>,
    access_key_id: String,
    secret_access_key: String,
    status: String,
}

/// The parameters of one action.
fn request(action: &str, params: &[(&str, &str)]) -> Vec<(String, String)> {
    request_with(action, params, &[])
}

/// The parameters of one action, and those of `optional` that were given.
fn request_with(
    action: &str,
    params: &[(&str, &str)],
    optional: &[(&str, &Option<String>)],
) -> Vec<(String, String)> {
    let given = optional
        .iter()
        .filter_map(|(k, v)| Some((*k, v.as_deref()?)));
    std::iter::once(("Action", action))
        .chain(params.iter().copied())
        .chain(given)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The parameters of a key action, naming the user when one was given.
fn with_user(action: &str, user: &Option<String>, rest: &[(&str, &str)]) -> Vec<(String, String)> {
    request_with(action, rest, &[("UserName", user)])
}

/// The usage report: one JSON document, or a row per bucket and class (and per access tier of
/// INTELLIGENT_TIERING).
fn usage_report(result: &Element, json: bool) -> Result<(), Failure> {
    const FIELDS: [&str; 11] = [
        "Objects",
        "LogicalBytes",
        "BillableBytes",
        "BillableStandardBytes",
        "DiskBytes",
        "RestoresInProgress",
        "RestoredCopyBytes",
        "EarlyDeletions",
        "EarlyDeletionUsd",
        "MonthlyCostUsd",
        "StorageClass",
    ];
    let buckets = result.child("Buckets").ok_or("no Buckets in the answer")?;
    let mut rows = Vec::new();
    for bucket in buckets.children_named("member") {
        let name = bucket.child_text("Bucket").unwrap_or_default();
        for class in bucket
            .child("Classes")
            .into_iter()
            .flat_map(|c| c.children_named("member"))
        {
            let mut row = serde_json::Map::new();
            row.insert("Bucket".into(), name.into());
            for field in FIELDS {
                row.insert(field.into(), report_value(class, field));
            }
            let mut tiers = serde_json::Map::new();
            for tier in class
                .child("AccessTiers")
                .into_iter()
                .flat_map(|t| t.children_named("member"))
            {
                let fields = ["Objects", "BillableBytes", "MonthlyCostUsd"]
                    .map(|field| (field.to_string(), report_value(tier, field)));
                tiers.insert(
                    tier.child_text("AccessTier").unwrap_or_default().into(),
                    serde_json::Value::Object(fields.into_iter().collect()),
                );
            }
            if !tiers.is_empty() {
                row.insert("AccessTiers".into(), serde_json::Value::Object(tiers));
            }
            rows.push(serde_json::Value::Object(row));
        }
    }
    if json {
        return print_json(&rows);
    }
    println!(
        "bucket\tclass\tobjects\tlogical\tbillable\tdisk\trestoring\tearly_deleted\tcost_usd_month"
    );
    for row in &rows {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            row["Bucket"].as_str().unwrap_or_default(),
            row["StorageClass"].as_str().unwrap_or_default(),
            row["Objects"],
            row["LogicalBytes"],
            row["BillableBytes"],
            row["DiskBytes"],
            row["RestoresInProgress"],
            row["EarlyDeletions"],
            row["MonthlyCostUsd"]
        );
        for (tier, usage) in row["AccessTiers"].as_object().into_iter().flatten() {
            println!(
                "\t  {tier}\t{}\t\t{}\t\t\t\t{}",
                usage["Objects"], usage["BillableBytes"], usage["MonthlyCostUsd"]
            );
        }
    }
    Ok(())
}

/// A field of the report's XML as JSON: counts as integers, costs as numbers.
fn report_value(element: &Element, field: &str) -> serde_json::Value {
    let text = element.child_text(field).unwrap_or_default();
    match text.parse::<u64>() {
        Ok(n) if !field.ends_with("Usd") => serde_json::Value::from(n),
        _ => match text.parse::<f64>() {
            Ok(x) => serde_json::Value::from(x),
            Err(_) => serde_json::Value::from(text),
        },
    }
}

fn print_json(printed: &impl serde::Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(printed).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

/// One line of a list: the elements `fields` of `element`, tab-separated.
fn print_row(element: &Element, fields: &[&str]) {
    let values: Vec<&str> = fields
        .iter()
        .map(|f| element.child_text(f).unwrap_or_default())
        .collect();
    println!("{}", values.join("\t"));
}

async fn key_command(client: &Client, command: KeyCommand) -> Result<(), Failure> {
    match command {
        KeyCommand::Create { user } => {
            let result = client
                .call(&with_user("CreateAccessKey", &user, &[]))
                .await?;
            let key = result
                .child("AccessKey")
                .ok_or("no AccessKey in the answer")?;
            let field = |name: &str| key.child_text(name).unwrap_or_default().to_string();
            print_json(&NewKey {
                user_name: key.child_text("UserName").map(str::to_string),
                access_key_id: field("AccessKeyId"),
                secret_access_key: field("SecretAccessKey"),
                status: field("Status"),
            })?;
        }
        KeyCommand::List { user } => {
            let params = with_user("ListAccessKeys", &user, &[]);
            for key in client.list(&params, "AccessKeyMetadata").await? {
                print_row(&key, &["AccessKeyId", "Status", "CreateDate"]);
            }
        }
        KeyCommand::Delete {
            access_key_id,
            user,
        } => {
            let rest = [("AccessKeyId", access_key_id.as_str())];
            client
                .call(&with_user("DeleteAccessKey", &user, &rest))
                .await?;
        }
        KeyCommand::Deactivate {
            access_key_id,
            user,
        } => set_key_status(client, &user, &access_key_id, "Inactive").await?,
        KeyCommand::Activate {
            access_key_id,
            user,
        } => set_key_status(client, &user, &access_key_id, "Active").await?,
    }
    Ok(())
}

async fn set_key_status(
    client: &Client,
    user: &Option<String>,
    access_key_id: &str,
    status: &str,
) -> Result<(), Failure> {
    let rest = [("AccessKeyId", access_key_id), ("Status", status)];
    client
        .call(&with_user("UpdateAccessKey", user, &rest))
        .await?;
    Ok(())
}

async fn user_policy_command(client: &Client, command: UserPolicyCommand) -> Result<(), Failure> {
    match command {
        UserPolicyCommand::Put {
            user,
            policy_name,
            file,
        } => {
            let document = read_document(&file)?;
            let params = [
                ("UserName", user.as_str()),
                ("PolicyName", &policy_name),
                ("PolicyDocument", &document),
            ];
            client.call(&request("PutUserPolicy", &params)).await?;
        }
        UserPolicyCommand::Get { user, policy_name } => {
            let params = [("UserName", user.as_str()), ("PolicyName", &policy_name)];
            let result = client.call(&request("GetUserPolicy", &params)).await?;
            let encoded = result.child_text("PolicyDocument").unwrap_or_default();
            println!("{}", percent_decode_str(encoded).decode_utf8_lossy());
        }
        UserPolicyCommand::Delete { user, policy_name } => {
            let params = [("UserName", user.as_str()), ("PolicyName", &policy_name)];
            client.call(&request("DeleteUserPolicy", &params)).await?;
        }
        UserPolicyCommand::List { user } => {
            let params = request("ListUserPolicies", &[("UserName", &user)]);
            for name in client.list(&params, "PolicyNames").await? {
                println!("{}", name.text);
            }
        }
    }
    Ok(())
}

fn read_document(file: &str) -> Result<String, Failure> {
    if file == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| format!("standard input: {e}"))?;
        return Ok(text);
    }
    let path = file.strip_prefix("file://").unwrap_or(file);
    std::fs::read_to_string(path).map_err(|e| Failure::Other(format!("{path}: {e}")))
}
