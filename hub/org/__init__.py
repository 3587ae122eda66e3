"""Organisation and geography: administrative units down to grids, their people and devices, GeoJSON
import/export, location → grid routing, the event/component taxonomy and the working-time calendar."""
