# Terraform configuration for tests/clients.rs: S3 backend on the test server with S3-native
# locking (use_lockfile), and one built-in terraform_data resource (no provider to download).
# The endpoint (and, over https, custom_ca_bundle) come from a generated backend.hcl passed with
# `terraform init -backend-config=backend.hcl`.
terraform {
  backend "s3" {
    bucket                      = "tfstate"
    key                         = "env/app.tfstate"
    region                      = "us-east-1"
    use_path_style              = true
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    use_lockfile                = true
  }
}

variable "message" {
  type = string
}

resource "terraform_data" "example" {
  input = var.message
}

output "message" {
  value = terraform_data.example.output
}
