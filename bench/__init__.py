"""`orderly bench`: how many complete orders per second, against the ceiling of the same server in the same run.

`lifecycles` drives N complete orders and the bare baseline workflow (`baseline`) and measures both; `open_orders`
starts orders that stay open and watches memory as they grow. `stack` starts what is measured (the dev server, the
worker and the web app in their own processes, `serve`); `driver` plays the roles; `report` writes JSON and charts.
Nothing here is imported by the product; it needs the `bench` extra (psutil, matplotlib, httpx).
"""
