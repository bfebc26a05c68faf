from datetime import date

from hizone.talent.progress import Report, completion, row_errors, scheduled_share


def test_completion_and_schedule() -> None:
    assert completion(721, 300) == 721 / 300
    # 2022-06-01 .. 2022-08-31 is 91 days; on 07-01 (30 days) 30/91 is due
    assert scheduled_share(date(2022, 6, 1), date(2022, 8, 31), date(2022, 7, 1)) == 30 / 91
    assert scheduled_share(date(2022, 6, 1), date(2022, 8, 31), date(2022, 9, 30)) == 1.0


def test_row_errors() -> None:
    reports = [Report("A", date(2022, 6, 8), 10, 5, 4), Report("A", date(2022, 6, 15), 8, 9, 10),
               Report("B", date(2023, 1, 1), 1, 1, 1)]
    errors = row_errors(reports, {"A": 100}, date(2022, 6, 1), date(2022, 8, 31), "w.csv")
    assert errors == [
        "w.csv, row 3, column signed: 9 signed > 8 developed",
        "w.csv, row 3, column on_duty: 10 on duty > 9 signed",
        "w.csv, row 3, column developed: cumulative 8 fell below 10 without a correction note",
        "w.csv, row 4, column zone: zone 'B' has no target in this campaign",
        "w.csv, row 4, column date: 2023-01-01 is outside the campaign (2022-06-01..2022-08-31)",
    ]
