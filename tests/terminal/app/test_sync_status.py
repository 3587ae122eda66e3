"""Status bar presenter: online/offline, records waiting, last successful sync, photo upload progress."""
from __future__ import annotations

from datetime import timedelta

from terminal.app.i18n import Translator
from terminal.app.presenters.sync_status import SyncStatusPresenter


def test_offline_device_shows_waiting_records_and_never_synced(make_context):
    ctx = make_context()
    view = ctx.status.view()
    assert not view.online and view.connection == "离线"
    assert view.waiting == "暂无待上传" and view.last_sync == "尚未同步" and not view.uploading  # not "all sent"
    ctx.report.capture()
    ctx.report.choose_category("E0101")
    ctx.report.submit()
    ctx.device.checkin("wellbeing", card_number="440402195001011234")
    view = ctx.status.view()
    assert view.waiting == "待上传 2 条"
    assert view.uploading and view.progress == 0.0
    assert view.progress_text.startswith("照片上传中 0/")
    assert view.line.startswith("离线 · 待上传 2 条 · 尚未同步 · 照片上传中")


def test_upload_progress_and_last_sync_follow_the_store(make_context, clock):
    ctx = make_context()
    ctx.report.capture()
    ctx.report.choose_category("E0101")
    report = ctx.report.submit()
    sha = report.photos[0].sha256
    chunks = report.photos[0].chunks
    assert chunks >= 2, "the test needs a photo of several chunks"
    store = ctx.device.store
    store.mark_chunks_sent([(sha, 0)])
    store.mark_chunks_acked([(sha, 0)])
    # what a hub receipt does to the engine's clock of the last sync
    store.mark_acked([report.id])
    ctx.device.engine.last_sync_at = clock()
    clock.advance(125)
    view = ctx.status.view()
    assert view.progress == 1 / chunks and view.progress_text == f"照片上传中 1/{chunks}"
    assert view.waiting == "已全部上传" and view.last_sync == "上次同步 2 分钟前"


def test_every_connection_state_has_words(make_context, clock):
    from terminal.sync import SyncStatus

    def status(**changes):
        base = {"online": True, "hub_online": True, "auth_error": None, "outbox": {}, "pending": 0, "in_flight": 0,
                    "photos_pending": 0, "upload_chunks_acked": 0, "upload_chunks_total": 0, "corrupt_photos": 0,
                    "last_sync_at": clock() - timedelta(days=2)}
        return SyncStatus(**(base | changes))

    tr = Translator("en")
    for changes, connection, online in [({}, "Online", True), ({"hub_online": False}, "Hub unavailable", True),
                                        ({"online": False}, "Offline", False),
                                        ({"auth_error": "bad user name or password"},
                                         "Login refused; contact the administrator", False)]:
        view = SyncStatusPresenter(lambda changes=changes: status(**changes), tr, clock=clock).view()
        assert (view.connection, view.online) == (connection, online)
        assert view.last_sync == "Last sync 2 d ago"
