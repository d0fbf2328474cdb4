"""Report labels in English and Japanese (`--lang en|ja`); the seed's users work in Japanese."""

from __future__ import annotations

import re
from typing import Literal, get_args

Lang = Literal["en", "ja"]
LANGS: tuple[str, ...] = get_args(Lang)

_LABELS: dict[str, tuple[str, str]] = {
    "title": ("DR evidence report", "DR 証跡レポート"),
    "summary": ("Summary", "概要"),
    "plan": ("Plan", "計画"),
    "scenario": ("Scenario", "シナリオ"),
    "strategy": ("Strategy", "DR 戦略"),
    "outcome": ("Outcome", "結果"),
    "run": ("Run", "実行"),
    "started": ("Started", "開始"),
    "ended": ("Ended", "終了"),
    "duration": ("Duration", "所要時間"),
    "executor": ("Executor", "実行ホスト"),
    "started_by": ("Started by", "実行者"),
    "dry_run": ("Dry run", "ドライラン"),
    "objectives": ("Objectives: measured against target", "目標値と実測値"),
    "objective": ("Objective", "目標"),
    "target": ("Target", "目標値"),
    "measured": ("Measured", "実測値"),
    "result": ("Result", "判定"),
    "detail": ("Detail", "詳細"),
    "pass": ("PASS", "合格"),
    "fail": ("FAIL", "不合格"),
    "not_measured": ("not measured", "未計測"),
    "lost_writes": ("Lost acknowledged writes", "消失した確定済み書き込み"),
    "unknown": ("unknown", "不明"),
    "measuring": ("How RTO and RPO were measured", "RTO・RPO の計測"),
    "failure_at": ("Failure at", "障害発生"),
    "failure_source": ("Failure time from", "障害時刻の根拠"),
    "recovered_at": ("Recovered at", "復旧"),
    "rpo_from": ("RPO measured from", "RPO の計測元"),
    "rpo_from_run": ("the run's own canary", "実行時のカナリア"),
    "rpo_from_standing": (
        "the standing canary (`drctl canary`): the failure came before the run",
        "常駐カナリア (`drctl canary`): 障害は実行開始より前",
    ),
    "not_seen": ("not seen", "未確認"),
    "phase": ("RTO phase", "RTO の内訳"),
    "seconds": ("Seconds", "秒"),
    "critical_path": ("Steps on the critical path", "クリティカルパス上のステップ"),
    "beside_probes": ("Other availability probes", "その他の可用性プローブ"),
    "beside_canaries": ("Other data canaries", "その他のデータカナリア"),
    "probe": ("Probe", "プローブ"),
    "failed_samples": ("Failed samples", "失敗サンプル"),
    "acknowledged": ("Acknowledged writes", "確定済み書き込み"),
    "gaps": ("Unprobed gaps (not filled in)", "未計測の空白（補完なし）"),
    "timeline": ("Timeline", "タイムライン"),
    "availability": ("Availability", "可用性"),
    "canary": ("Data canary", "データカナリア"),
    "steps": ("Steps", "ステップ"),
    "step": ("Step", "ステップ"),
    "status": ("Status", "状態"),
    "start": ("Start", "開始"),
    "end": ("End", "終了"),
    "retries": ("Retries", "再試行"),
    "approved_by": ("Approved by", "承認者"),
    "approvals": ("Approvals", "承認"),
    "rejections": ("Rejections", "却下"),
    "decisions": ("Decisions", "判断"),
    "notes": ("Notes", "メモ"),
    "problems": ("Problems", "問題点"),
    "actions": ("Improvement actions (open)", "改善アクション（未完了）"),
    "owner": ("Owner", "担当"),
    "due": ("Due", "期限"),
    "from_run": ("From run", "起票した実行"),
    "cloudtrail": ("CloudTrail events", "CloudTrail イベント"),
    "time": ("Time", "時刻"),
    "event": ("Event", "イベント"),
    "who": ("Who", "実施者"),
    "region": ("Region", "リージョン"),
    "integrity": ("Integrity", "完全性"),
    "plan_hash": ("Plan SHA-256", "計画 SHA-256"),
    "runbook_hash": ("Runbook SHA-256", "Runbook SHA-256"),
    "compiled_hash": (
        "Runbook SHA-256 compiled from the plan",
        "計画からコンパイルした Runbook SHA-256",
    ),
    "provenance": ("Runbook provenance", "Runbook の出所"),
    "drill_decision": ("Drill decision", "訓練としての判定"),
    "actors": ("Who acted (verified identities)", "実施者（検証済み ID）"),
    "what": ("What", "内容"),
    "intents": (
        "AWS writes drctl made (journaled before each call)",
        "drctl が行った AWS 書き込み（呼び出し前に記録）",
    ),
    "interruptions": ("Interrupted attempts", "中断された試行"),
    "request_id": ("Request id", "リクエスト ID"),
    "reason": ("Reason", "理由"),
    "chain_head": ("Audit chain head", "監査チェーン先頭"),
    "run_last_event": ("Last audit event of this run", "この実行の最終監査イベント"),
    "none": ("none", "なし"),
    "failure": ("failure", "障害発生"),
    "recovered": ("recovered", "復旧"),
    "probe_ok": ("success", "成功"),
    "probe_failed": ("failure", "失敗"),
    "acked": ("acknowledged write", "確定済み書き込み"),
    "lost": ("lost", "消失"),
    "newest_surviving": ("newest surviving write", "残存した最新の書き込み"),
    "human": ("people", "人の操作"),
    "no_samples": ("no samples recorded", "サンプルなし"),
    "generated": ("Generated", "作成日時"),
    "drills": ("Drill program", "DR 訓練計画"),
    "last_run": ("Last run", "前回実行"),
    "next_due": ("Next due", "次回期限"),
    "overdue": ("OVERDUE", "期限超過"),
    "never": ("never", "未実施"),
    "trend": ("Trend", "推移"),
    "every": ("Every", "頻度"),
    "succeeded": ("succeeded", "成功"),
    "failed": ("failed", "失敗"),
    "cancelled": ("cancelled", "中止"),
    "running": ("running", "実行中"),
    "pending": ("pending", "待機中"),
    "waiting-approval": ("waiting for approval", "承認待ち"),
    "timed-out": ("timed out", "タイムアウト"),
    "skipped": ("skipped", "スキップ"),
    "drill": ("drill", "DR 訓練"),
    "az-failure": ("az-failure", "AZ 障害"),
    "region-failure": ("region-failure", "リージョン障害"),
    "failback": ("failback", "フェイルバック"),
    "custom": ("custom", "カスタム"),
    "backup-restore": ("backup-restore", "バックアップ＆リストア"),
    "pilot-light": ("pilot-light", "パイロットライト"),
    "warm-standby": ("warm-standby", "ウォームスタンバイ"),
    "multi-site": ("multi-site", "マルチサイト"),
    "approve": ("approve", "承認"),
    "reject": ("reject", "却下"),
    "seq": ("seq", "連番"),
}

_DETAILS: dict[Lang, list[tuple[re.Pattern[str], str]]] = {
    "ja": [
        (
            re.compile(r"recovered (\S+) after the failure; (\d+) failed requests"),
            r"障害発生から \1 で復旧（失敗したリクエスト \2 件）",
        ),
        (
            re.compile(r"the endpoint did not recover while probed"),
            "計測中にエンドポイントは復旧しなかった",
        ),
        (re.compile(r"; flapped (\d+) time\(s\) after recovery"), r"、復旧後に \1 回不安定化"),
        (
            re.compile(r"(\d+) acknowledged writes? lost of (\d+) written to (\S+)"),
            r"\3 への確定済み書き込み \2 件のうち \1 件が消失",
        ),
        (re.compile(r"(\d+) acknowledged writes? lost"), r"確定済み書き込み \1 件が消失"),
        (re.compile(r"recovered after (\d+) failed samples"), r"失敗サンプル \1 件の後に復旧"),
    ]
}
"""The sentences drctl itself writes into measurements (probes/record.py), per language."""


def translate_detail(text: str, lang: Lang) -> str:
    """A measurement's detail in `lang`; text drctl did not write (people's words) stays as is."""
    for pattern, replacement in _DETAILS.get(lang, []):
        text = pattern.sub(replacement, text)
    return text


class Labels:
    """Label lookup for one language; unknown keys come back as themselves."""

    def __init__(self, lang: Lang = "en") -> None:
        self.lang: Lang = lang
        self._index = LANGS.index(lang)

    def __getitem__(self, key: str) -> str:
        pair = _LABELS.get(key)
        return pair[self._index] if pair else key

    def __call__(self, key: str) -> str:
        return self[key]


def label_keys() -> list[str]:
    """Every label key (tests check both languages fill each one)."""
    return sorted(_LABELS)
