"""Step titles in Japanese (`drctl compile --lang ja`): the recipes' English titles, by pattern.

Titles are data in the runbook, so a compiled runbook carries them in the chosen language and
the report shows them as they are. A title with no pattern here stays in English.
"""

from __future__ import annotations

import re

from drctl.runbook.model import Runbook

_N = r"(\S+)"
_JA: list[tuple[str, str]] = [
    (rf"Approve moving {_N} back to {_N}", r"\1 を \2 へ戻すことを承認"),
    (rf"ArgoCD sync of {_N} to {_N}", r"\1 を \2 へ ArgoCD で同期"),
    (
        rf"Aurora cluster {_N} has a writer outside {_N}",
        r"Aurora クラスター \1 のライターが \2 の外にある",
    ),
    (
        rf"Aurora global replication lag of {_N} is under the RPO",
        r"\1 の Aurora グローバルレプリケーション遅延が RPO 未満",
    ),
    (rf"Capture pods, services and failing logs of {_N}", r"\1 の Pod・Service・失敗ログを採取"),
    (rf"Cordon and drain the nodes of {_N}", r"\1 のノードを cordon・drain"),
    (rf"Create EKS cluster {_N} in {_N} \(eksctl\)", r"\2 に EKS クラスター \1 を作成（eksctl）"),
    (rf"Create a replica of {_N} in {_N}", r"\2 に \1 のレプリカを作成"),
    (
        rf"Declare the loss of {_N} and fail over to {_N}",
        r"\1 の喪失を宣言し \2 へフェイルオーバー",
    ),
    (rf"Declare the loss of {_N}", r"\1 の喪失を宣言"),
    (rf"Delete the volumes the drill restored in {_N}", r"訓練で \1 に復元したボリュームを削除"),
    (
        rf"Verify DynamoDB table {_N} is ACTIVE in {_N}",
        r"\2 の DynamoDB テーブル \1 が ACTIVE か確認",
    ),
    (rf"DynamoDB table {_N} is ACTIVE in {_N}", r"\2 の DynamoDB テーブル \1 が ACTIVE"),
    (rf"EFS {_N} replicates to {_N}", r"EFS \1 が \2 へレプリケート"),
    (rf"ExternalSecrets of {_N} Ready on {_N}", r"\2 上の \1 の ExternalSecret が Ready"),
    (
        rf"Fail over Aurora global {_N} to {_N} \(allow data loss\)",
        r"Aurora グローバル \1 を \2 へフェイルオーバー（データ損失を許容）",
    ),
    (
        rf"Fail over global datastore {_N} to {_N} in {_N}",
        r"グローバルデータストア \1 を \3 の \2 へフェイルオーバー",
    ),
    (rf"GET {_N} answers 2xx/3xx", r"GET \1 が 2xx/3xx を返す"),
    (
        r"Hold the post-incident review and record improvements \(drctl review\)",
        "事後レビューを行い改善点を記録（drctl review）",
    ),
    (
        rf"Look up this run's API calls in CloudTrail \({_N}\)",
        r"この実行の API 呼び出しを CloudTrail で照会（\1）",
    ),
    (rf"Make EFS replica {_N} writable in {_N}", r"\2 の EFS レプリカ \1 を書き込み可能にする"),
    (rf"Make {_N} answer the primary \({_N}\) again", r"\1 をプライマリ（\2）の応答に戻す"),
    (
        rf"Make {_N} answer the secondary \({_N}\) via {_N}",
        r"\3 で \1 をセカンダリ（\2）の応答にする",
    ),
    (rf"Nodes of {_N} are Ready in the healthy AZs", r"\1 のノードが正常な AZ で Ready"),
    (rf"Pods of {_N} left {_N} and are Ready elsewhere", r"\1 の Pod が \2 を離れ他で Ready"),
    (rf"Promote RDS replica {_N} in {_N}", r"\2 の RDS レプリカ \1 を昇格"),
    (
        rf"Promote the replica of secret {_N} in {_N} to standalone",
        r"\2 のシークレット \1 のレプリカを単独に昇格",
    ),
    (
        rf"Put a canary object in {_N}, see it replicated to {_N}",
        r"\1 にカナリアオブジェクトを置き \2 への複製を確認",
    ),
    (rf"RDS {_N} \(Multi-AZ\) serves from outside {_N}", r"RDS \1（マルチ AZ）が \2 の外から応答"),
    (rf"RDS replica lag of {_N} is under the RPO", r"\1 の RDS レプリカ遅延が RPO 未満"),
    (
        rf"Read Route53 health of {_N} \(both regions\)",
        r"\1 の Route53 ヘルスを読む（両リージョン）",
    ),
    (rf"Read Route53 health of {_N}", r"\1 の Route53 ヘルスを読む"),
    (rf"Register the {_N} cluster with ArgoCD", r"\1 クラスターを ArgoCD に登録"),
    (rf"Replicate {_N} back to {_N}", r"\1 を \2 へ逆方向にレプリケート"),
    (
        rf"Restore {_N} in {_N} from its newest copied snapshot",
        r"\2 に \1 を最新のコピー済みスナップショットから復元",
    ),
    (rf"SSM parameters of {_N} are present in {_N}", r"\2 に \1 の SSM パラメータがある"),
    (
        rf"Scale nodegroups of {_N} in {_N} back to active",
        r"\2 の \1 のノードグループを通常容量に戻す",
    ),
    (
        rf"Scale nodegroups of {_N} in {_N} back to standby",
        r"\2 の \1 のノードグループを待機容量に戻す",
    ),
    (
        rf"Scale nodegroups of {_N} in {_N} to active capacity",
        r"\2 の \1 のノードグループを通常容量に拡張",
    ),
    (rf"Secrets of {_N} are replicated to {_N}", r"\1 のシークレットが \2 へ複製済み"),
    (rf"Secrets of {_N} replicate from {_N} to {_N}", r"\1 のシークレットが \2 から \3 へ複製"),
    (rf"Snapshot {_N} and copy to {_N}", r"\1 のスナップショットを取得し \2 へコピー"),
    (
        rf"Switch Aurora global {_N} writer back to {_N}",
        r"Aurora グローバル \1 のライターを \2 へ戻す",
    ),
    (
        rf"Verify DR bucket {_N} in {_N} is versioned and serving",
        r"\2 の DR バケット \1 のバージョニングと応答を確認",
    ),
    (rf"Verify EKS cluster {_N} in {_N} is ACTIVE", r"\2 の EKS クラスター \1 が ACTIVE か確認"),
    (rf"Wait for pods in {_N} on {_N} to be Ready", r"\2 上の \1 の Pod が Ready になるまで待つ"),
    (
        rf"Write a canary item to {_N} in {_N}, read it in {_N}",
        r"\2 の \1 にカナリア項目を書き \3 で読む",
    ),
    (rf"{_N} in {_N} is an associated secondary of {_N}", r"\2 の \1 が \3 の関連セカンダリ"),
    (
        rf"{_N} replicates from {_N} with lag under the RPO",
        r"\1 が \2 から RPO 未満の遅延でレプリケート",
    ),
    (
        rf"Fence the old PostgreSQL primary in {_N} \(read-only if reachable\)",
        r"\1 の旧 PostgreSQL プライマリを隔離（到達できれば読み取り専用に）",
    ),
    (
        rf"Make the PostgreSQL primary in {_N} read-only",
        r"\1 の PostgreSQL プライマリを読み取り専用にする",
    ),
    (
        rf"PostgreSQL standby in {_N} replays within the RPO",
        r"\1 の PostgreSQL スタンバイが RPO 以内で再生",
    ),
    (rf"Promote the PostgreSQL standby in {_N}", r"\1 の PostgreSQL スタンバイを昇格"),
    (
        rf"Rebuild the PostgreSQL server in {_N} as a standby of {_N}",
        r"\1 の PostgreSQL サーバーを \2 のスタンバイとして再構築",
    ),
    (
        rf"The new PostgreSQL primary in {_N} accepts writes",
        r"\1 の新しい PostgreSQL プライマリが書き込みを受け付ける",
    ),
    (
        rf"The PostgreSQL primary in {_N} accepts writes",
        r"\1 の PostgreSQL プライマリが書き込みを受け付ける",
    ),
]
_PATTERNS = [(re.compile(f"^{p}$"), r) for p, r in _JA]


def title_in(title: str, lang: str) -> str:
    """The title in `lang` (`en` or `ja`); unknown titles stay as they are."""
    if lang != "ja":
        return title
    for pattern, replacement in _PATTERNS:
        if pattern.match(title):
            return pattern.sub(replacement, title)
    return title


def localized(runbook: Runbook, lang: str) -> Runbook:
    """The runbook with every step title in `lang`."""
    if lang == "en":
        return runbook
    steps = [s.model_copy(update={"title": title_in(s.title, lang)}) for s in runbook.steps]
    return runbook.model_copy(update={"steps": steps})
