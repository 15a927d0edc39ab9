-- What was invoiced and what was paid, asked for when a job is marked
-- invoiced or paid (prefilled with the quote's total) and correctable by an
-- owner; each change is in the job's history.
alter table jobs
  add column invoiced_amount numeric(12,2) check (invoiced_amount >= 0),
  add column paid_amount numeric(12,2) check (paid_amount >= 0);
