-- Shared reference data: pricing zones (one per state, BEA regional price
-- parities 2024, from shared/data/pricing_zones_us_states.csv) and the plan
-- catalogue. Read-only to the application role.
create table shared.pricing_zones (
  state_code char(2) primary key check (state_code ~ '^[A-Z]{2}$'),
  state_name text not null,
  zone_name text not null,
  base_multiplier numeric(5,3) not null check (base_multiplier > 0),
  rpp_all_items numeric(7,3) not null,
  rpp_services_other numeric(7,3),
  rpp_services_housing numeric(7,3),
  source_year int not null
);

insert into shared.pricing_zones
  (state_code, state_name, zone_name, base_multiplier, rpp_all_items,
   rpp_services_other, rpp_services_housing, source_year)
values
  ('AK', 'Alaska', 'Alaska', 1.024, 102.359, 102.208, 93.784, 2024),
  ('AL', 'Alabama', 'Alabama', 0.888, 88.823, 96.711, 61.785, 2024),
  ('AR', 'Arkansas', 'Arkansas', 0.869, 86.937, 95.312, 58.203, 2024),
  ('AZ', 'Arizona', 'Arizona', 1.007, 100.677, 102.808, 106.804, 2024),
  ('CA', 'California', 'California', 1.107, 110.720, 102.591, 154.346, 2024),
  ('CO', 'Colorado', 'Colorado', 1.031, 103.052, 99.613, 127.359, 2024),
  ('CT', 'Connecticut', 'Connecticut', 1.036, 103.610, 102.658, 117.048, 2024),
  ('DC', 'District of Columbia', 'District of Columbia', 1.099, 109.901, 102.964, 154.984, 2024),
  ('DE', 'Delaware', 'Delaware', 0.998, 99.808, 101.235, 102.015, 2024),
  ('FL', 'Florida', 'Florida', 1.034, 103.414, 101.324, 122.107, 2024),
  ('GA', 'Georgia', 'Georgia', 0.963, 96.293, 97.343, 88.694, 2024),
  ('HI', 'Hawaii', 'Hawaii', 1.100, 109.951, 102.898, 125.304, 2024),
  ('IA', 'Iowa', 'Iowa', 0.878, 87.762, 92.927, 65.322, 2024),
  ('ID', 'Idaho', 'Idaho', 0.955, 95.494, 99.015, 90.027, 2024),
  ('IL', 'Illinois', 'Illinois', 1.000, 99.958, 100.156, 93.944, 2024),
  ('IN', 'Indiana', 'Indiana', 0.933, 93.329, 99.145, 73.926, 2024),
  ('KS', 'Kansas', 'Kansas', 0.901, 90.068, 93.816, 71.156, 2024),
  ('KY', 'Kentucky', 'Kentucky', 0.902, 90.159, 97.250, 64.313, 2024),
  ('LA', 'Louisiana', 'Louisiana', 0.882, 88.207, 95.706, 63.104, 2024),
  ('MA', 'Massachusetts', 'Massachusetts', 1.058, 105.757, 102.852, 128.068, 2024),
  ('MD', 'Maryland', 'Maryland', 1.050, 104.959, 101.596, 121.079, 2024),
  ('ME', 'Maine', 'Maine', 0.971, 97.050, 103.191, 78.940, 2024),
  ('MI', 'Michigan', 'Michigan', 0.962, 96.217, 100.933, 82.332, 2024),
  ('MN', 'Minnesota', 'Minnesota', 0.986, 98.621, 100.213, 91.281, 2024),
  ('MO', 'Missouri', 'Missouri', 0.908, 90.817, 95.169, 69.880, 2024),
  ('MS', 'Mississippi', 'Mississippi', 0.870, 86.953, 96.090, 56.456, 2024),
  ('MT', 'Montana', 'Montana', 0.946, 94.645, 98.715, 84.648, 2024),
  ('NC', 'North Carolina', 'North Carolina', 0.943, 94.326, 98.186, 81.364, 2024),
  ('ND', 'North Dakota', 'North Dakota', 0.890, 88.959, 91.158, 71.421, 2024),
  ('NE', 'Nebraska', 'Nebraska', 0.901, 90.103, 92.980, 75.174, 2024),
  ('NH', 'New Hampshire', 'New Hampshire', 1.042, 104.165, 103.879, 114.947, 2024),
  ('NJ', 'New Jersey', 'New Jersey', 1.088, 108.805, 103.529, 134.292, 2024),
  ('NM', 'New Mexico', 'New Mexico', 0.922, 92.212, 98.540, 73.611, 2024),
  ('NV', 'Nevada', 'Nevada', 1.000, 99.979, 98.744, 114.135, 2024),
  ('NY', 'New York', 'New York', 1.079, 107.921, 104.067, 122.168, 2024),
  ('OH', 'Ohio', 'Ohio', 0.928, 92.774, 98.947, 73.012, 2024),
  ('OK', 'Oklahoma', 'Oklahoma', 0.878, 87.843, 95.458, 62.763, 2024),
  ('OR', 'Oregon', 'Oregon', 1.034, 103.361, 100.298, 108.628, 2024),
  ('PA', 'Pennsylvania', 'Pennsylvania', 0.976, 97.572, 99.762, 85.068, 2024),
  ('RI', 'Rhode Island', 'Rhode Island', 1.023, 102.280, 102.840, 105.620, 2024),
  ('SC', 'South Carolina', 'South Carolina', 0.937, 93.749, 98.284, 80.490, 2024),
  ('SD', 'South Dakota', 'South Dakota', 0.886, 88.586, 91.899, 67.642, 2024),
  ('TN', 'Tennessee', 'Tennessee', 0.919, 91.870, 95.142, 79.070, 2024),
  ('TX', 'Texas', 'Texas', 0.971, 97.057, 97.081, 96.503, 2024),
  ('UT', 'Utah', 'Utah', 0.989, 98.864, 98.959, 107.814, 2024),
  ('VA', 'Virginia', 'Virginia', 1.011, 101.104, 100.233, 106.799, 2024),
  ('VT', 'Vermont', 'Vermont', 0.980, 97.958, 101.586, 86.502, 2024),
  ('WA', 'Washington', 'Washington', 1.070, 107.013, 103.873, 125.979, 2024),
  ('WI', 'Wisconsin', 'Wisconsin', 0.941, 94.095, 99.501, 79.312, 2024),
  ('WV', 'West Virginia', 'West Virginia', 0.895, 89.497, 99.940, 54.241, 2024),
  ('WY', 'Wyoming', 'Wyoming', 0.927, 92.691, 100.428, 71.127, 2024);

create table shared.plans (
  code text primary key,
  name text not null,
  monthly_price_cents int not null,
  seats int,               -- null: unlimited
  monthly_jobs_limit int,  -- null: unlimited
  features jsonb not null,
  position int not null
);

insert into shared.plans values
  ('starter', 'Starter', 2900, 1, 50,
   '{"roi_calculator": true, "location_pricing": true, "smart_scheduling": false, "route_optimization": false, "approval_workflow": false, "api_access": false, "white_label": false}', 1),
  ('growth', 'Growth', 9900, 5, 500,
   '{"roi_calculator": true, "location_pricing": true, "smart_scheduling": true, "route_optimization": true, "approval_workflow": false, "api_access": false, "white_label": false}', 2),
  ('enterprise', 'Enterprise', 29900, null, null,
   '{"roi_calculator": true, "location_pricing": true, "smart_scheduling": true, "route_optimization": true, "approval_workflow": true, "api_access": true, "white_label": true}', 3);

grant select on shared.pricing_zones, shared.plans to fence_app;
