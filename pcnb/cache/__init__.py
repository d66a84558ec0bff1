"""The local cache: the store (every SQL statement of pcnb), the sync that fills it and the frames
read from it. Data flows one way: api -> sync -> store -> frames."""
