-- Every committed change to a pipeline's ledger rows (or to the inputs a derived partition consumed)
-- is announced on the channel `datapulse_ledger` as "<schema> <pipeline>". NOTIFY is transactional:
-- listeners hear of a change only once it has committed, and never of a rolled-back one. The console
-- uses it to keep its partition maps cached without ever serving one older than the ledger
-- (ops/partition-map-cache.ts). Notifications of one transaction with the same payload are sent once.
CREATE OR REPLACE FUNCTION dp_notify_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('datapulse_ledger', TG_TABLE_SCHEMA || ' ' || OLD.pipeline);
  ELSE
    PERFORM pg_notify('datapulse_ledger', TG_TABLE_SCHEMA || ' ' || NEW.pipeline);
    IF TG_OP = 'UPDATE' AND OLD.pipeline IS DISTINCT FROM NEW.pipeline THEN
      PERFORM pg_notify('datapulse_ledger', TG_TABLE_SCHEMA || ' ' || OLD.pipeline);
    END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER ledger_change_notify AFTER INSERT OR UPDATE OR DELETE ON ledger
  FOR EACH ROW EXECUTE FUNCTION dp_notify_ledger_change();
CREATE TRIGGER partition_inputs_change_notify AFTER INSERT OR UPDATE OR DELETE ON partition_inputs
  FOR EACH ROW EXECUTE FUNCTION dp_notify_ledger_change();
