-- Meltano's system database (state, run history, the "already running" guard).
CREATE DATABASE meltano;
