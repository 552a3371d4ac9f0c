# The daemon's state store ([state] backend = "dynamodb" in deploy/config.toml):
# open incidents and their Slack receipts, run claims and the leadership
# lease, so a restart or a deploy neither repeats nor loses an alert and two
# replicas (desired_count = 2) alert once. One item per cluster's incidents,
# per open incident's receipt, per recent run and one lease: a few KB.
resource "aws_dynamodb_table" "state" {
  name         = "${var.name}-state"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"

  attribute {
    name = "pk"
    type = "S"
  }

  # Receipts and run claims carry "ttl" (Unix seconds); DynamoDB deletes
  # them some time after it. The daemon judges expiry itself meanwhile.
  ttl {
    attribute_name = "ttl"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  tags = local.tags
}
