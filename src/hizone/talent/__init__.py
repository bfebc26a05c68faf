"""Talent campaigns (科研助理岗位开发): progress against targets and schedule; pure engine, no web/db imports."""
