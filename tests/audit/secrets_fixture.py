"""Realistic provider payloads carrying secrets (boto3 response shapes), and the secrets themselves."""

from __future__ import annotations

import json

from pydantic import JsonValue

DB_PASSWORD = "Tr0ub4dor&3-horse-battery"
SECRET_JSON_PASSWORD = "s3cr3t-Db-Passw0rd!42"
ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SESSION_KEY_ID = "ASIAQWERTYUIOPASDFGH"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaDmFwLW5vcnRoZWFzdC0xIkcwRQIhAKexample"
BEARER = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLWJ5dGVz"
URL_PASSWORD = "pg-url-pass-7781"
PRESIGNED_SIGNATURE = "5b1f3c8d2e4a6b7c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e"
API_TOKEN = "argocd-api-token-0a9b8c7d6e"
PEM_BODY = "MC4CAQAwBQYDK2VwBCIEIJ7xqZ0v9example+privatekeymaterial=="
PLAIN_SECRET_VALUE = "plain-secret-value-Zx81"  # a SecretString that is not JSON
SHELL_ECHO = "connected with password=hunter2-shell-Qq9"

ALL = [
    DB_PASSWORD, SECRET_JSON_PASSWORD, ACCESS_KEY_ID, SESSION_KEY_ID, SECRET_ACCESS_KEY,
    SESSION_TOKEN, BEARER, URL_PASSWORD, PRESIGNED_SIGNATURE, API_TOKEN, PEM_BODY,
    PLAIN_SECRET_VALUE, "hunter2-shell-Qq9",
]  # fmt: skip

GET_SECRET_VALUE: dict[str, JsonValue] = {
    "ARN": "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:prod/db-AbCdEf",
    "Name": "prod/db",
    "VersionId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
    "SecretString": json.dumps(
        {"username": "app", "password": SECRET_JSON_PASSWORD, "host": "db.internal"}
    ),
    "VersionStages": ["AWSCURRENT"],
    "CreatedDate": "2026-05-01T00:00:00+00:00",
}

CREATE_DB_CLUSTER_PARAMS: dict[str, JsonValue] = {
    "DBClusterIdentifier": "shop-aurora-dr",
    "Engine": "aurora-postgresql",
    "MasterUsername": "postgres",
    "MasterUserPassword": DB_PASSWORD,
    "ManageMasterUserPassword": False,
    "GlobalClusterIdentifier": "shop-global",
}

DESCRIBE_DB_CLUSTERS: dict[str, JsonValue] = {
    "DBClusters": [
        {
            "DBClusterIdentifier": "shop-aurora",
            "Endpoint": "shop-aurora.cluster-abc.ap-northeast-1.rds.amazonaws.com",
            "MasterUsername": "postgres",
            "MasterUserSecret": {
                "SecretArn": "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:rds!cluster-1",
                "SecretStatus": "active",
                "KmsKeyId": "arn:aws:kms:ap-northeast-1:123456789012:key/1234",
            },
            "Status": "available",
        }
    ]
}

ASSUME_ROLE: dict[str, JsonValue] = {
    "Credentials": {
        "AccessKeyId": SESSION_KEY_ID,
        "SecretAccessKey": SECRET_ACCESS_KEY,
        "SessionToken": SESSION_TOKEN,
        "Expiration": "2026-05-01T01:00:00+00:00",
    },
    "AssumedRoleUser": {"Arn": "arn:aws:sts::123456789012:assumed-role/drctl/drctl"},
}

SHELL_OUTPUT: dict[str, JsonValue] = {
    "command": f"psql postgresql://app:{URL_PASSWORD}@db.internal:5432/shop -c 'select 1'",
    "stdout": f"export AWS_ACCESS_KEY_ID={ACCESS_KEY_ID}\nexport AWS_SECRET_ACCESS_KEY={SECRET_ACCESS_KEY}\n"
    f"{SHELL_ECHO}\n",
    "stderr": f"curl -H 'Authorization: Bearer {BEARER}' https://kube.internal/api",
    "exit_code": 0,
}

HTTP_STEP: dict[str, JsonValue] = {
    "url": "https://evidence-bucket.s3.ap-northeast-1.amazonaws.com/report.html?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    f"&X-Amz-Credential={ACCESS_KEY_ID}%2F20260501%2Fap-northeast-1%2Fs3%2Faws4_request"
    f"&X-Amz-Date=20260501T000000Z&X-Amz-Expires=3600&X-Amz-Signature={PRESIGNED_SIGNATURE}",
    "headers": {"Authorization": f"Bearer {API_TOKEN}", "Accept": "application/json"},
    "status": 200,
}

KUBE_SECRET: dict[str, JsonValue] = {
    "kind": "Secret",
    "metadata": {"name": "tls", "namespace": "shop"},
    "data": {"tls.key": f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----\n"},
    "note": "argocd login with api_key: " + API_TOKEN,
}
