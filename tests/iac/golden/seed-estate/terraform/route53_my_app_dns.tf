variable "my_app_dns_hosted_zone_id" {
  description = "Id of the hosted zone example.com"
  type        = string
}

variable "my_app_dns_primary_alb_dns_name" {
  description = "DNS name of the primary ALB"
  type        = string
  default     = "my-app-apne1.ap-northeast-1.elb.amazonaws.com"
}

variable "my_app_dns_primary_alb_zone_id" {
  description = "Hosted zone id of the primary ALB"
  type        = string
  default     = "Z14GRHDCWA56QT"
}

variable "my_app_dns_secondary_alb_dns_name" {
  description = "DNS name of the secondary ALB"
  type        = string
  default     = "my-app-apse1.ap-southeast-1.elb.amazonaws.com"
}

variable "my_app_dns_secondary_alb_zone_id" {
  description = "Hosted zone id of the secondary ALB"
  type        = string
  default     = "Z1LMS91P8CMLE5"
}

resource "aws_route53_health_check" "my_app_dns_primary" {
  type              = "HTTPS"
  fqdn              = var.my_app_dns_primary_alb_dns_name
  port              = 443
  resource_path     = "/health"
  request_interval  = 10
  failure_threshold = 3
  enable_sni        = true

  tags = {
    Name            = "my-app-dns-primary"
    "drctl.io/plan" = "my-app"
  }
}

resource "aws_route53_health_check" "my_app_dns_secondary" {
  type              = "HTTPS"
  fqdn              = var.my_app_dns_secondary_alb_dns_name
  port              = 443
  resource_path     = "/health"
  request_interval  = 10
  failure_threshold = 3
  enable_sni        = true

  tags = {
    Name            = "my-app-dns-secondary"
    "drctl.io/plan" = "my-app"
  }
}

resource "aws_route53_record" "my_app_dns_primary" {
  zone_id         = var.my_app_dns_hosted_zone_id
  name            = "my-app.example.com"
  type            = "A"
  set_identifier  = "Primary"
  health_check_id = aws_route53_health_check.my_app_dns_primary.id

  failover_routing_policy {
    type = "PRIMARY"
  }

  alias {
    name                   = var.my_app_dns_primary_alb_dns_name
    zone_id                = var.my_app_dns_primary_alb_zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_record" "my_app_dns_secondary" {
  zone_id         = var.my_app_dns_hosted_zone_id
  name            = "my-app.example.com"
  type            = "A"
  set_identifier  = "Secondary"
  health_check_id = aws_route53_health_check.my_app_dns_secondary.id

  failover_routing_policy {
    type = "SECONDARY"
  }

  alias {
    name                   = var.my_app_dns_secondary_alb_dns_name
    zone_id                = var.my_app_dns_secondary_alb_zone_id
    evaluate_target_health = true
  }
}
