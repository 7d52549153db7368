-- cx360_sha256 must give the standard lower-case hex digest on every engine (FIPS 180-2 test
-- vectors), or pseudonymous keys would differ between DuckDB, Postgres and Spark builds.
-- Returns the vectors whose digest differs.

with

vectors as (

    select
        'abc' as message,
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' as expected_hex
    union all
    select
        '' as message,
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' as expected_hex

),

hashed as (

    select
        message,
        expected_hex,
        {{ cx360_sha256('message') }} as actual_hex
    from vectors

)

select * from hashed
where actual_hex is null or actual_hex != expected_hex
