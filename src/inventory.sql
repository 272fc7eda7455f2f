
-- Stock projection and replenishment from forecast models (src/inventory.c, doc/inventory.md)

CREATE FUNCTION ecomml.stock_plan(model bytea, on_hand float8, lead_time int,
    service_level float8, options jsonb DEFAULT '{}',
    OUT step int, OUT period timestamptz, OUT demand float8, OUT receipts float8,
    OUT projected_on_hand float8, OUT stockout_probability float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'stock_plan_srf' LANGUAGE C STABLE PARALLEL SAFE ROWS 28;
COMMENT ON FUNCTION ecomml.stock_plan(bytea, float8, int, float8, jsonb) IS
    'per future period: expected demand, open-order receipts, projected on-hand and the probability of a stockout by then';

CREATE FUNCTION ecomml.reorder_point(model bytea, on_hand float8, lead_time int,
    service_level float8, options jsonb DEFAULT '{}',
    OUT lead_time_demand float8, OUT safety_stock float8, OUT reorder_point float8,
    OUT order_up_to float8, OUT inventory_position float8, OUT order_qty float8,
    OUT eoq float8, OUT stockout_period timestamptz, OUT days_of_cover float8)
AS 'MODULE_PATHNAME', 'reorder_point' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ecomml.reorder_point(bytea, float8, int, float8, jsonb) IS
    'safety stock, reorder point, order-up-to level, suggested order quantity (EOQ with costs), expected stockout period and days of cover';
