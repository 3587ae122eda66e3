"""The volunteer-hour ledger (志愿服务时长): 信用时 from patrols, 荣誉时 certified by organisers, 兑换 redemptions."""
